import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';
import type { Framework } from '../projects/framework';

/** A row of `project_versions`: exists only for a build that succeeded. Owned by the versions module. */
@Entity({ name: 'project_versions' })
export class ProjectVersion {
  @PrimaryGeneratedColumn()
  id: number;

  @Column('text', { name: 'version_id', unique: true })
  versionId: string;

  @Column('text', { name: 'build_id', unique: true })
  buildId: string;

  @Column('uuid', { name: 'project_id' })
  projectId: string;

  @Column('uuid', { name: 'user_id' })
  userId: string;

  @Column('text')
  prompt: string;

  @Column('text')
  framework: Framework;

  @Column('text', { name: 'artifact_path' })
  artifactPath: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
