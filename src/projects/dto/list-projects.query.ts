import { PageCursorField, PageLimitField } from '../../api-fields/page-fields.decorator';
import { OwnerQuery } from './owner.query';

export class ListProjectsQuery extends OwnerQuery {
  @PageLimitField('projects')
  readonly limit?: number;

  @PageCursorField('MjAyNS0xMS0yNVQxMDoxNTozMC4xMjM0NTZafDNlNWMxYTJiLTlkOGYtNGM3ZS1hNmI1LTBmMWUyZDNjNGI1YQ')
  readonly cursor?: string;
}
