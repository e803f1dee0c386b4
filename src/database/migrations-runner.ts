import { Injectable, OnModuleInit } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { runMigrationsLocked } from './migrate';

/** Brings the schema up to date before anything else in the process uses the database. */
@Injectable()
export class MigrationsRunner implements OnModuleInit {
  constructor(private readonly dataSource: DataSource) {}

  async onModuleInit(): Promise<void> {
    await runMigrationsLocked(this.dataSource);
  }
}
