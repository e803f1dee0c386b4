import { Controller, Get, Headers, Req, Res, StreamableFile } from '@nestjs/common';
import {
  ApiHeader,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiPartialContentResponse,
  ApiProduces,
  ApiTags,
} from '@nestjs/swagger';
import { ApiProblems } from '../api-fields/api-problems.decorator';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { PreviewFilesConfig } from './preview-files.config';
import { PreviewRangeNotSatisfiableError } from './preview-files.errors';
import { PreviewFilesService } from './preview-files.service';

/**
 * A version's files never change once published (a new build is a new version), so a cache may
 * keep them for a year without asking again.
 */
const IMMUTABLE = 'public, max-age=31536000, immutable';

/**
 * `GET /preview/:projectId/:versionId/*`: a succeeded version's built files, unsigned and
 * read-only (HEAD comes with GET). The service reads the raw URL, not the router's decoded
 * params, so an encoded `/` or `..` is judged as sent.
 */
@ApiTags('previews')
@Controller('preview')
export class PreviewFilesController {
  private readonly contentSecurityPolicy: string;

  constructor(
    private readonly previewFiles: PreviewFilesService,
    config: PreviewFilesConfig,
  ) {
    // Built pages are generated code served on the API's origin: sandboxed, they get an opaque
    // origin; only the configured sites may frame them.
    this.contentSecurityPolicy = `sandbox allow-scripts allow-forms allow-popups; frame-ancestors ${config.frameAncestors}`;
  }

  @Get(':projectId/:versionId/*')
  @ApiOperation({
    summary: 'A file of a succeeded version\u2019s preview',
    description:
      'Unsigned and read-only. A path ending in `/` serves that folder\u2019s `index.html`. Only versions of succeeded builds of this project exist; nothing outside the build\u2019s output folder is reachable, and only regular files are served. One byte range (`Range: bytes=…`) is answered with `206`; several ranges, or a header that is not a bytes range, get the whole file.',
  })
  @ApiParam({ name: 'projectId', format: 'uuid' })
  @ApiParam({ name: 'versionId', description: 'A ULID' })
  @ApiHeader({ name: 'Range', required: false, description: 'One byte range, e.g. `bytes=0-1023`' })
  @ApiProduces('text/html', 'text/css', 'text/javascript', 'application/json', 'image/svg+xml', 'image/png')
  @ApiOkResponse({
    description:
      'The file, with a content type from its extension, `Accept-Ranges: bytes`, `Cache-Control: public, max-age=31536000, immutable`, `X-Content-Type-Options: nosniff` and a sandboxing `Content-Security-Policy` with `frame-ancestors` from `PREVIEW_FRAME_ANCESTORS`.',
  })
  @ApiPartialContentResponse({ description: 'The requested byte range, with `Content-Range`.' })
  @ApiProblems('not_found', 'version_expired', 'range_not_satisfiable')
  async file(
    @Req() request: FastifyRequest,
    @Headers('range') range: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<StreamableFile> {
    const file = await this.previewFiles.open(request.url, range).catch((error: unknown) => {
      if (error instanceof PreviewRangeNotSatisfiableError) void reply.header('Content-Range', `bytes */${error.size}`);
      throw error;
    });
    void reply
      .header('Accept-Ranges', 'bytes')
      .header('Cache-Control', IMMUTABLE)
      .header('X-Content-Type-Options', 'nosniff')
      .header('Content-Security-Policy', this.contentSecurityPolicy);
    if (file.range) {
      const { start, end, size } = file.range;
      void reply.status(206).header('Content-Range', `bytes ${start}-${end}/${size}`);
    }
    return new StreamableFile(file.stream, { type: file.contentType, length: file.length });
  }
}
