import { Column, Entity, Index, JoinColumn, ManyToOne } from 'typeorm';
import { ClientEntity } from './client.entity';
import { OwnedEntity } from './owned.columns';

@Entity({ name: 'reporting_entities' })
@Index('ix_reporting_entities_client_id', ['clientId'])
export class ReportingEntityEntity extends OwnedEntity {
  @Column({ type: 'varchar', length: 3, nullable: true })
  currency!: string | null;

  @ManyToOne(() => ClientEntity, { nullable: false, onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'client_id', foreignKeyConstraintName: 'fk_reporting_entities_client_id' })
  client?: ClientEntity;
}
