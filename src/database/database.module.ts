import { DynamicModule, Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DatabaseConnection } from './database-connection';
import { postgresOptions } from './data-source-options';
import { MigrationsRunner } from './migrations-runner';
import { TransactionRunner } from './transaction-runner';

/** The data source, migrations at start, and the one transaction helper every orchestration uses. */
@Global()
@Module({})
export class DatabaseModule {
  static forRoot(connection: DatabaseConnection): DynamicModule {
    return {
      module: DatabaseModule,
      imports: [
        TypeOrmModule.forRoot({
          ...postgresOptions(connection.url),
          autoLoadEntities: true,
          retryAttempts: 5,
          retryDelay: 1000,
        }),
      ],
      providers: [{ provide: DatabaseConnection, useValue: connection }, MigrationsRunner, TransactionRunner],
      exports: [DatabaseConnection, TransactionRunner],
    };
  }
}
