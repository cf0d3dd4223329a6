import type { CellValue, ColumnType } from '@conveyor/contracts';

/** One row: its cells in the order of the dataset's columns (a shorter row's missing cells are null). */
export type Row = CellValue[];

/** A column as the interpreter sees it. */
export interface DatasetColumn {
  name: string;
  type: ColumnType;
}
