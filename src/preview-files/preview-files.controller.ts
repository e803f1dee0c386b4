import { Controller, Get, Header, Req, StreamableFile } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiParam, ApiProduces, ApiTags } from '@nestjs/swagger';
import { ApiProblems } from '../http/api-problems.decorator';
import type { FastifyRequest } from 'fastify';
import { PreviewFilesService } from './preview-files.service';

/**
 * `GET /preview/:projectId/:versionId/*`: a succeeded version's built files, unsigned and
 * read-only (HEAD comes with GET). The service reads the raw URL, not the router's decoded
 * params, so an encoded `/` or `..` is judged as sent.
 */
@ApiTags('previews')
@Controller('preview')
export class PreviewFilesController {
  constructor(private readonly previewFiles: PreviewFilesService) {}

  @Get(':projectId/:versionId/*')
  @Header('X-Content-Type-Options', 'nosniff')
  // Built pages are generated code served on the API's origin: sandboxed, they get an opaque origin.
  @Header('Content-Security-Policy', 'sandbox allow-scripts allow-forms allow-popups')
  @ApiOperation({
    summary: 'A file of a succeeded version\u2019s preview',
    description:
      'Unsigned and read-only. A path ending in `/` serves that folder\u2019s `index.html`. Only versions of succeeded builds of this project exist; nothing outside the build\u2019s output folder is reachable.',
  })
  @ApiParam({ name: 'projectId', format: 'uuid' })
  @ApiParam({ name: 'versionId', description: 'A ULID' })
  @ApiProduces('text/html', 'text/css', 'text/javascript', 'application/json', 'image/svg+xml', 'image/png')
  @ApiOkResponse({
    description: 'The file, with a content type from its extension and `X-Content-Type-Options: nosniff`.',
  })
  @ApiProblems('not_found')
  async file(@Req() request: FastifyRequest): Promise<StreamableFile> {
    const file = await this.previewFiles.open(request.url);
    return new StreamableFile(file.stream, { type: file.contentType, length: file.length });
  }
}
