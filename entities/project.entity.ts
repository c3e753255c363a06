import { Entity, Index, JoinColumn, ManyToOne } from 'typeorm';
import { ClientEntity } from './client.entity';
import { OwnedEntity } from './owned.columns';

@Entity({ name: 'projects' })
@Index('ix_projects_client_id', ['clientId'])
export class ProjectEntity extends OwnedEntity {
  @ManyToOne(() => ClientEntity, { nullable: false, onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'client_id', foreignKeyConstraintName: 'fk_projects_client_id' })
  client?: ClientEntity;
}
