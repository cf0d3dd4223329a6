import { type Kysely, sql } from 'kysely';
import type { Database } from '../src';

/**
 * The public schema as the catalogue describes it, in a stable order, for comparing two states
 * of one database: tables with their storage options, columns (type, nullability, default,
 * generation, identity), indexes and constraints by definition, functions by definition,
 * sequences and triggers. Column order is left out: a column a rollback dropped comes back at
 * the end of its table, and no statement of ours depends on the order (they name their columns).
 * Kysely's own bookkeeping tables are left out too.
 */
export async function schemaCatalogue(db: Kysely<Database>): Promise<Record<string, string[]>> {
  const rows = async (query: ReturnType<typeof sql<{ line: string }>>) => (await query.execute(db)).rows.map((r) => r.line);
  return {
    tables: await rows(sql`
      select concat_ws(' ', c.relname, c.relkind::text, array_to_string(c.reloptions, ',')) as line
        from pg_class c join pg_namespace n on n.oid = c.relnamespace
       where n.nspname = 'public' and c.relkind in ('r', 'p', 'v', 'm') and c.relname not like 'kysely\\_%'
       order by 1`),
    columns: await rows(sql`
      select concat_ws(' | ', table_name, column_name, data_type, udt_name, is_nullable, column_default, is_generated,
                       generation_expression, is_identity, identity_generation, character_maximum_length, numeric_precision, numeric_scale) as line
        from information_schema.columns
       where table_schema = 'public' and table_name not like 'kysely\\_%'
       order by 1`),
    indexes: await rows(sql`select indexdef as line from pg_indexes where schemaname = 'public' and tablename not like 'kysely\\_%' order by 1`),
    constraints: await rows(sql`
      select concat_ws(' ', c.relname, con.conname, con.contype::text, pg_get_constraintdef(con.oid)) as line
        from pg_constraint con join pg_class c on c.oid = con.conrelid join pg_namespace n on n.oid = c.relnamespace
       where n.nspname = 'public' and c.relname not like 'kysely\\_%'
       order by 1`),
    functions: await rows(sql`
      select pg_get_functiondef(p.oid) as line
        from pg_proc p join pg_namespace n on n.oid = p.pronamespace
       where n.nspname = 'public'
       order by 1`),
    sequences: await rows(sql`
      select concat_ws(' ', sequence_name, data_type, start_value, increment) as line
        from information_schema.sequences where sequence_schema = 'public' and sequence_name not like 'kysely\\_%' order by 1`),
    triggers: await rows(sql`
      select concat_ws(' ', c.relname, pg_get_triggerdef(t.oid)) as line
        from pg_trigger t join pg_class c on c.oid = t.tgrelid join pg_namespace n on n.oid = c.relnamespace
       where n.nspname = 'public' and not t.tgisinternal
       order by 1`),
  };
}
