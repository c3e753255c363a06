import { Column, Entity, Index, JoinColumn, ManyToOne } from 'typeorm';
import { ClientEntity } from './client.entity';
import { OwnedEntity } from './owned.columns';

@Entity({ name: 'legal_entities' })
@Index('ix_legal_entities_client_id', ['clientId'])
export class LegalEntityEntity extends OwnedEntity {
  @Column({ name: 'registration_number', type: 'varchar', length: 64, nullable: true })
  registrationNumber!: string | null;

  @Column({ type: 'varchar', length: 2, nullable: true })
  country!: string | null;

  @ManyToOne(() => ClientEntity, { nullable: false, onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'client_id', foreignKeyConstraintName: 'fk_legal_entities_client_id' })
  client?: ClientEntity;
}
