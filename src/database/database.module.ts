import { DynamicModule, Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { ClientBase } from 'pg';
import { DatabaseConnection } from './database-connection';
import { postgresOptions } from './data-source-options';
import { MigrationsRunner } from './migrations-runner';
import { TransactionRunner } from './transaction-runner';

/**
 * Gives every pooled connection an 'error' listener for its whole life. pg-pool takes its own off a
 * connection it hands out, and TypeORM adds one only a microtask later: a FATAL read in the same
 * chunk as a new connection's ReadyForQuery (a backend terminated as it became ready) was emitted
 * with nobody listening, which ends the process (brianc/node-postgres#2762). Nothing is lost: the
 * connection is marked unusable, its next query fails (503) and the pool discards it on release.
 */
function keepConnectionErrorsHeard(client: ClientBase): void {
  client.on('error', () => undefined);
}

/** The data source, migrations at start, and the one transaction helper every orchestration uses. */
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
          extra: { ...options.extra, onConnect: keepConnectionErrorsHeard },
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
