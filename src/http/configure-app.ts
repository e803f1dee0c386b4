import { NestApplicationOptions } from '@nestjs/common';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';

/** Bodies above this are refused with 413 before they are read further. */
export const BODY_LIMIT_BYTES = 1024 * 1024;

/**
 * Nest's own body parsers are off: they would add a form-urlencoded parser. Fastify's JSON parser
 * stays, which also refuses `__proto__` and `constructor.prototype` keys.
 */
export const APP_OPTIONS: NestApplicationOptions = { bodyParser: false };

export function createFastifyAdapter(): FastifyAdapter {
  return new FastifyAdapter({ bodyLimit: BODY_LIMIT_BYTES });
}

/**
 * What Nest's modules cannot express: JSON as the only body type (anything else is a 415) and the
 * docs. Fastify's own failures (malformed JSON, too large) reach the global ProblemDetailsFilter.
 */
export function configureApp(app: NestFastifyApplication): void {
  app.getHttpAdapter().getInstance().removeContentTypeParser('text/plain');

  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Sheen worker service')
      .setDescription(
        'Creates projects atomically with server-chosen ids, builds them in the background and bills the AI time each build uses. Errors are application/problem+json with a stable `code`.',
      )
      .setVersion('1')
      .build(),
  );
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });
}
