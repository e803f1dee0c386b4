import { Injectable } from '@nestjs/common';
import { Gauge, Registry } from 'prom-client';
import { DataSource } from 'typeorm';
import { typeormPool } from './typeorm-pool';

/**
 * The TypeORM pool's load, read when scraped: every transaction holds one of its connections for
 * its whole duration, so requests waiting here are the first sign the pool is too small.
 */
@Injectable()
export class DatabasePoolMetricsService {
  constructor(registry: Registry, dataSource: DataSource) {
    const pool = () => typeormPool(dataSource);
    const inUse: Gauge = new Gauge({
      name: 'sheen_db_pool_connections_in_use',
      help: 'Connections of the database pool lent out to a transaction or query.',
      registers: [registry],
      collect: () => {
        const current = pool();
        inUse.set(current ? current.totalCount - current.idleCount : 0);
      },
    });
    const waiting: Gauge = new Gauge({
      name: 'sheen_db_pool_waiting_requests',
      help: 'Callers waiting for a connection of the database pool.',
      registers: [registry],
      collect: () => waiting.set(pool()?.waitingCount ?? 0),
    });
  }
}
