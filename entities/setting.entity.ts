import { Column, Entity, PrimaryColumn } from 'typeorm';

/** Service-wide settings shared by every instance (the keyset cursor signing secret). */
@Entity({ name: 'settings' })
export class SettingEntity {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  name!: string;

  @Column({ type: 'varchar', length: 200 })
  value!: string;
}
