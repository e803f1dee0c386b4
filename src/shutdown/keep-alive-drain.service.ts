import { Injectable, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyAdapter } from '@nestjs/platform-fastify';
import { ShutdownState } from './shutdown-state';

/**
 * Once shutdown has begun, every response tells its client to close the connection: a keep-alive
 * connection then ends with the request it carries instead of idling until the listener closes,
 * where a client could send on it just as it is cut (a reset, not an answer). Node keeps a
 * connection whose request was in flight at `close()` open until its keep-alive timeout, so this
 * is also what lets the listener close as soon as those requests are answered.
 */
@Injectable()
export class KeepAliveDrainService implements OnModuleInit {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly state: ShutdownState,
  ) {}

  onModuleInit(): void {
    // A worker-only process has no HTTP adapter.
    const adapter = this.adapterHost.httpAdapter as FastifyAdapter | undefined;
    adapter?.getInstance().addHook('onSend', (_request, reply, payload, done) => {
      if (this.state.shuttingDown) void reply.header('connection', 'close');
      done(null, payload);
    });
  }
}
