import { DynamicModule, Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DatabaseConnection } from './database-connection';
import { BOUNDED_WAITS, postgresOptions } from './data-source-options';
import { MigrationsRunner } from './migrations-runner';
import { TransactionRunner } from './transaction-runner';

/**
 * The data source (every statement's waits bounded: WAIT_LIMITS; its entities are ENTITIES, so a
 * module's `forFeature` of an entity missing there fails at start), migrations at start, and the one
 * transaction helper every orchestration uses.
 */
@Global()
@Module({})
export class DatabaseModule {
  static forRoot(connection: DatabaseConnection): DynamicModule {
    const options = postgresOptions(connection.url);
    return {
      module: DatabaseModule,
      imports: [
        TypeOrmModule.forRoot({
          ...options,
          extra: { ...options.extra, ...BOUNDED_WAITS },
          retryAttempts: 5,
          retryDelay: 1000,
        }),
      ],
      providers: [{ provide: DatabaseConnection, useValue: connection }, MigrationsRunner, TransactionRunner],
      exports: [DatabaseConnection, TransactionRunner],
    };
  }
}
