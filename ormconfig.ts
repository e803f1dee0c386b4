import { DataSource } from 'typeorm';
import { postgresOptions } from './src/database/data-source-options';

/**
 * The DataSource for the TypeORM CLI (`npm run migration:run`). It needs DATABASE_URL; the service
 * itself also runs migrations at start, under an advisory lock.
 */
const url = process.env.DATABASE_URL;
if (!url) throw new Error('DATABASE_URL must be set for the TypeORM CLI');

export default new DataSource(postgresOptions(url));
