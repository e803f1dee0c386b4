import { ObjectLiteral, Repository } from 'typeorm';

/**
 * The entity of a row its table returned to SQL written by hand (`RETURNING *`, `SELECT *`), mapped
 * by the entity's own metadata (column names, bigint as string, timestamps as Date): SQL that needs
 * PostgreSQL itself still answers with the table's one description, never a row type of its own
 * (ADR 032). A column the row lacks stays unset; a column the entity lacks is ignored.
 */
export function entityFromRow<Entity extends ObjectLiteral>(
  repository: Repository<Entity>,
  row: Record<string, unknown>,
): Entity {
  const entity = repository.create();
  const { driver } = repository.manager.dataSource;
  for (const column of repository.metadata.columns) {
    if (column.databaseName in row) {
      column.setEntityValue(entity, driver.prepareHydratedValue(row[column.databaseName], column));
    }
  }
  return entity;
}
