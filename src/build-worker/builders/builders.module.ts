import { Module } from '@nestjs/common';
import { DatabaseConnection } from '../../database/database-connection';
import { SignatureConfig } from '../../http/signature.config';
import { WorkspaceConfig } from '../../workspace/workspace.config';
import { BUILDER } from './builder';
import { BuildersConfig } from './builders.config';
import { createBuilder } from './builder.factory';
import { ServiceSecrets } from './service-secrets';

/**
 * Provides the configured Builder under the BUILDER token (`@Inject(BUILDER) builder: Builder`) and
 * the secrets no build output may show. The configs come from the global AppConfigModule, the
 * database's URL from the global DatabaseModule.
 */
@Module({
  providers: [
    {
      provide: ServiceSecrets,
      useFactory: (signature: SignatureConfig, connection: DatabaseConnection) =>
        ServiceSecrets.of(signature, connection, process.env),
      inject: [SignatureConfig, DatabaseConnection],
    },
    { provide: BUILDER, useFactory: createBuilder, inject: [BuildersConfig, WorkspaceConfig, ServiceSecrets] },
  ],
  exports: [BUILDER, ServiceSecrets],
})
export class BuildersModule {}
