type AstNode = Record<string, unknown>;

// Parse-tree names whose SQL spelling cannot be derived from the node name.
const statementNames: Record<string, string> = {
  SelectStmt: 'SELECT',
  CreateStmt: 'CREATE TABLE',
  IndexStmt: 'CREATE INDEX',
  ViewStmt: 'CREATE VIEW',
  CreateTrigStmt: 'CREATE TRIGGER',
  CreateSeqStmt: 'CREATE SEQUENCE',
  AlterSeqStmt: 'ALTER SEQUENCE',
  CreatedbStmt: 'CREATE DATABASE',
  DropdbStmt: 'DROP DATABASE',
  DefineStmt: 'CREATE AGGREGATE, OPERATOR or TYPE',
  RenameStmt: 'ALTER ... RENAME',
  RefreshMatViewStmt: 'REFRESH MATERIALIZED VIEW',
  CheckPointStmt: 'CHECKPOINT',
  ConstraintsSetStmt: 'SET CONSTRAINTS',
  DeclareCursorStmt: 'DECLARE CURSOR',
  VariableShowStmt: 'SHOW',
};

/** The SQL command a top-level parse-tree node stands for, as a DBA would name it ("UPDATE", "ALTER TABLE"). */
export function statementName(type: string, body: AstNode): string {
  switch (type) {
    case 'VariableSetStmt':
      return String(body.kind).startsWith('VAR_RESET') ? 'RESET' : 'SET';
    case 'VacuumStmt':
      return body.is_vacuumcmd ? 'VACUUM' : 'ANALYZE';
    case 'GrantStmt':
    case 'GrantRoleStmt':
      return body.is_grant ? 'GRANT' : 'REVOKE';
    case 'CreateTableAsStmt':
      return body.objtype === 'OBJECT_MATVIEW' ? 'CREATE MATERIALIZED VIEW' : 'CREATE TABLE AS';
    case 'TransactionStmt':
      return String(body.kind ?? 'TRANS_STMT_BEGIN')
        .replace(/^TRANS_STMT_/, '')
        .replace(/_/g, ' ');
  }
  // CopyStmt → COPY, AlterTableStmt → ALTER TABLE, CreateExtensionStmt → CREATE EXTENSION.
  return (
    statementNames[type] ??
    type
      .replace(/Stmt$/, '')
      .replace(/([a-z])([A-Z])/g, '$1 $2')
      .toUpperCase()
  );
}
