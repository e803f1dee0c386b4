import { Controller, Get, Headers, Req, Res, StreamableFile } from '@nestjs/common';
import {
  ApiHeader,
  ApiNotModifiedResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiPartialContentResponse,
  ApiProduces,
  ApiTags,
} from '@nestjs/swagger';
import { ApiProblems } from '../api-fields/api-problems.decorator';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { noneMatchFails, rangeStillApplies, versionEntityTag } from './preview-conditions';
import { PreviewFilesConfig } from './preview-files.config';
import { PreviewRangeNotSatisfiableError } from './preview-files.errors';
import { PreviewFilesService } from './preview-files.service';

/**
 * A version's files never change once published (a new build is a new version), so a cache may
 * keep them for a year without asking again.
 */
const IMMUTABLE = 'public, max-age=31536000, immutable';

/**
 * The stable URL serves whichever version is current, which a rollback or a build changes at any
 * time: a cache may keep a copy but must ask (with the ETag) before each use.
 */
const REVALIDATE = 'no-cache';

const SERVING_RULES =
  'Unsigned and read-only. A path ending in `/` serves that folder\u2019s `index.html`. Nothing outside the build\u2019s output folder is reachable, and only regular files are served. One byte range (`Range: bytes=…`) is answered with `206`; several ranges, or a header that is not a bytes range, get the whole file.';

/**
 * The route's `*`, which @nestjs/swagger names `path`. Swagger UI encodes a `/` in a parameter, which
 * the service refuses (an encoded `/` never splits a path), so from there only a top-level file opens.
 */
const FILE_PATH_PARAM = {
  name: 'path',
  type: String,
  description:
    'The file\u2019s path in the build output, e.g. `index.html` or `assets/app.css` (segments split by a plain `/`; `%2F` is refused); ending in `/`, that folder\u2019s `index.html`.',
  example: 'index.html',
};

const FILE_HEADERS =
  'a content type from its extension, `Accept-Ranges: bytes`, `X-Content-Type-Options: nosniff` and a sandboxing `Content-Security-Policy` with `frame-ancestors` from `PREVIEW_FRAME_ANCESTORS`';

/**
 * `GET /preview/:projectId/:versionId/*` (a succeeded version's built files) and
 * `GET /preview/:projectId/*` (the project's current version's), unsigned and read-only (HEAD
 * comes with GET). The service reads the raw URL, not the router's decoded params, so an encoded
 * `/` or `..` is judged as sent, and it alone decides which version a URL names: the router may
 * hand `/preview/<projectId>/assets/app.css` to either route (ADR 036).
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
    description: `${SERVING_RULES} Only versions of succeeded builds of this project exist.`,
  })
  @ApiParam({ name: 'projectId', format: 'uuid' })
  @ApiParam({ name: 'versionId', description: 'A ULID' })
  @ApiParam(FILE_PATH_PARAM)
  @ApiHeader({ name: 'Range', required: false, description: 'One byte range, e.g. `bytes=0-1023`' })
  @ApiProduces('text/html', 'text/css', 'text/javascript', 'application/json', 'image/svg+xml', 'image/png')
  @ApiOkResponse({
    description: `The file, with \`Cache-Control: ${IMMUTABLE}\`, ${FILE_HEADERS}.`,
  })
  @ApiPartialContentResponse({ description: 'The requested byte range, with `Content-Range`.' })
  @ApiProblems('not_found', 'version_expired', 'range_not_satisfiable')
  file(
    @Req() request: FastifyRequest,
    @Headers() headers: Record<string, string | undefined>,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<StreamableFile | undefined> {
    return this.serve(request, headers, reply);
  }

  @Get(':projectId/*')
  @ApiOperation({
    summary: 'A file of the project\u2019s current version (its stable URL)',
    description: `${SERVING_RULES} Serves whichever version is current now (a build that succeeded, or a rollback), so one URL per project can be embedded; \`404\` while the project has no current version. A first path segment that is a ULID names a version (the route above).`,
  })
  @ApiParam({ name: 'projectId', format: 'uuid' })
  @ApiParam(FILE_PATH_PARAM)
  @ApiHeader({ name: 'Range', required: false, description: 'One byte range, e.g. `bytes=0-1023`' })
  @ApiHeader({ name: 'If-None-Match', required: false, description: 'The `ETag` of a cached copy' })
  @ApiHeader({ name: 'If-Range', required: false, description: 'The `ETag` a resumed range must still have' })
  @ApiProduces('text/html', 'text/css', 'text/javascript', 'application/json', 'image/svg+xml', 'image/png')
  @ApiOkResponse({
    description: `The file, with \`Cache-Control: ${REVALIDATE}\`, an \`ETag\` that names the version served, ${FILE_HEADERS}.`,
  })
  @ApiPartialContentResponse({
    description:
      'The requested byte range, with `Content-Range`; the whole file instead when `If-Range` names another version.',
  })
  @ApiNotModifiedResponse({ description: '`If-None-Match` names the version still current: the cached copy is it.' })
  @ApiProblems('not_found', 'range_not_satisfiable')
  currentFile(
    @Req() request: FastifyRequest,
    @Headers() headers: Record<string, string | undefined>,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<StreamableFile | undefined> {
    return this.serve(request, headers, reply);
  }

  /**
   * One way to serve for both routes; the headers follow which version the URL named. At the stable
   * URL, conditions come first as RFC 9110 (13.2.2) orders them: a matching `If-None-Match` is a
   * `304`, an `If-Range` of another version gets the whole file. The file is still opened (and
   * checked) before a `304`, so it answers only for a file that would be served.
   */
  private async serve(
    request: FastifyRequest,
    headers: Record<string, string | undefined>,
    reply: FastifyReply,
  ): Promise<StreamableFile | undefined> {
    const target = await this.previewFiles.locate(request.url);
    const entityTag = target.live ? versionEntityTag(target.versionId) : undefined;
    const notModified = entityTag !== undefined && noneMatchFails(headers['if-none-match'], entityTag);
    const range =
      notModified || (entityTag !== undefined && !rangeStillApplies(headers['if-range'], entityTag))
        ? undefined
        : headers.range;
    const file = await this.previewFiles.open(target, range).catch((error: unknown) => {
      if (error instanceof PreviewRangeNotSatisfiableError) void reply.header('Content-Range', `bytes */${error.size}`);
      throw error;
    });
    void reply
      .header('Accept-Ranges', 'bytes')
      .header('Cache-Control', entityTag === undefined ? IMMUTABLE : REVALIDATE)
      .header('X-Content-Type-Options', 'nosniff')
      .header('Content-Security-Policy', this.contentSecurityPolicy);
    if (entityTag !== undefined) void reply.header('ETag', entityTag);
    if (notModified) {
      file.stream.destroy();
      void reply.status(304);
      return undefined;
    }
    if (file.range) {
      const { start, end, size } = file.range;
      void reply.status(206).header('Content-Range', `bytes ${start}-${end}/${size}`);
    }
    return new StreamableFile(file.stream, { type: file.contentType, length: file.length });
  }
}
