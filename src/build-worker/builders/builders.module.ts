import { Module } from '@nestjs/common';
import { WorkspaceConfig } from '../../workspace/workspace.config';
import { BUILDER } from './builder';
import { BuildersConfig } from './builders.config';
import { createBuilder } from './builder.factory';

/**
 * Provides the configured Builder under the BUILDER token (`@Inject(BUILDER) builder: Builder`).
 * BuildersConfig and WorkspaceConfig come from the global AppConfigModule.
 */
@Module({
  providers: [{ provide: BUILDER, useFactory: createBuilder, inject: [BuildersConfig, WorkspaceConfig] }],
  exports: [BUILDER],
})
export class BuildersModule {}
