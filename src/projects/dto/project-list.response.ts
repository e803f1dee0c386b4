import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ProjectResponse } from './project.response';

export class ProjectListResponse {
  @ApiProperty({
    description: 'The page, newest first (created_at, then id, descending).',
    type: [ProjectResponse],
  })
  readonly items: ProjectResponse[];

  @ApiPropertyOptional({
    description: 'Pass as `cursor` for the next page; absent on the last page.',
    example: 'MjAyNS0xMS0yNVQxMDoxNTozMC4xMjM0NTZafDNlNWMxYTJiLTlkOGYtNGM3ZS1hNmI1LTBmMWUyZDNjNGI1YQ',
  })
  readonly nextCursor?: string;
}
