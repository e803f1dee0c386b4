import { Global, Module } from '@nestjs/common';
import { KeepAliveDrainService } from './keep-alive-drain.service';
import { ShutdownState } from './shutdown-state';

/** Whether the process is shutting down, for readiness and for the HTTP connections (see main.ts). */
@Global()
@Module({
  providers: [ShutdownState, KeepAliveDrainService],
  exports: [ShutdownState],
})
export class ShutdownModule {}
