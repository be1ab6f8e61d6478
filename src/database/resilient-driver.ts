import type {
  CompiledQuery,
  DatabaseConnection,
  Dialect,
  Driver,
  QueryCompiler,
  QueryResult,
  TransactionSettings,
} from 'kysely';
import { DatabaseUnavailableError, toDatabaseError } from './database-errors';

/**
 * Wraps a Kysely dialect so that every failure of the database itself (connection lost, server
 * restarting, file read-only, lock timeout …) leaves the driver as a DatabaseUnavailableError, in
 * one place, whichever query or transaction step met it. `onUnavailable` tells the owner (the
 * readiness probe forgets its cached "writable"); `onAnswer` tells it a write went through again.
 */
export function withUnavailabilityErrors(
  dialect: Dialect,
  onUnavailable: (error: DatabaseUnavailableError) => void,
  onAnswer: () => void = () => undefined,
): Dialect {
  return {
    createAdapter: () => dialect.createAdapter(),
    createDriver: () => new MappingDriver(dialect.createDriver(), onUnavailable, onAnswer),
    createIntrospector: (db) => dialect.createIntrospector(db),
    createQueryCompiler: () => dialect.createQueryCompiler(),
  };
}

/**
 * Statements whose success shows the database takes writes again (a read can succeed on a
 * read-only file or standby, so it proves nothing).
 */
const WRITES = new Set(['InsertQueryNode', 'UpdateQueryNode', 'DeleteQueryNode']);

function unsupported(method: string): Error {
  return new Error(`the database driver does not support ${method}`);
}

class MappingDriver implements Driver {
  /** Our connection → the driver's own (its release and transaction methods need the original). */
  private readonly originals = new WeakMap<DatabaseConnection, DatabaseConnection>();

  constructor(
    private readonly driver: Driver,
    private readonly onUnavailable: (error: DatabaseUnavailableError) => void,
    /** Called after every write the database took (cheap: the owner checks a flag). */
    private readonly onAnswer: () => void,
  ) {}

  init(): Promise<void> {
    return this.run(() => this.driver.init());
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    const original = await this.run(() => this.driver.acquireConnection());
    const wrapped: DatabaseConnection = {
      executeQuery: <R>(query: CompiledQuery): Promise<QueryResult<R>> =>
        this.run(() => original.executeQuery<R>(query), WRITES.has(query.query.kind)),
      streamQuery: <R>(query: CompiledQuery, chunkSize?: number) =>
        this.stream<R>(original, query, chunkSize),
    };
    this.originals.set(wrapped, original);
    return wrapped;
  }

  beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    return this.run(() => this.driver.beginTransaction(this.original(connection), settings));
  }

  commitTransaction(connection: DatabaseConnection): Promise<void> {
    return this.run(() => this.driver.commitTransaction(this.original(connection)));
  }

  rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    return this.run(() => this.driver.rollbackTransaction(this.original(connection)));
  }

  savepoint(
    connection: DatabaseConnection,
    name: string,
    compile: QueryCompiler['compileQuery'],
  ): Promise<void> {
    return this.run(() => {
      if (!this.driver.savepoint) throw unsupported('savepoint');
      return this.driver.savepoint(this.original(connection), name, compile);
    });
  }

  rollbackToSavepoint(
    connection: DatabaseConnection,
    name: string,
    compile: QueryCompiler['compileQuery'],
  ): Promise<void> {
    return this.run(() => {
      if (!this.driver.rollbackToSavepoint) throw unsupported('rollbackToSavepoint');
      return this.driver.rollbackToSavepoint(this.original(connection), name, compile);
    });
  }

  releaseSavepoint(
    connection: DatabaseConnection,
    name: string,
    compile: QueryCompiler['compileQuery'],
  ): Promise<void> {
    return this.run(() => {
      if (!this.driver.releaseSavepoint) throw unsupported('releaseSavepoint');
      return this.driver.releaseSavepoint(this.original(connection), name, compile);
    });
  }

  releaseConnection(connection: DatabaseConnection): Promise<void> {
    return this.driver.releaseConnection(this.original(connection));
  }

  destroy(): Promise<void> {
    return this.driver.destroy();
  }

  private original(connection: DatabaseConnection): DatabaseConnection {
    return this.originals.get(connection) ?? connection;
  }

  private async run<T>(fn: () => Promise<T>, write = false): Promise<T> {
    try {
      // Synchronous drivers (better-sqlite3) throw before a promise exists.
      const result = await fn();
      if (write) this.onAnswer();
      return result;
    } catch (error) {
      throw this.mapped(error);
    }
  }

  private async *stream<R>(
    connection: DatabaseConnection,
    query: CompiledQuery,
    chunkSize?: number,
  ): AsyncIterableIterator<QueryResult<R>> {
    try {
      yield* connection.streamQuery<R>(query, chunkSize);
    } catch (error) {
      throw this.mapped(error);
    }
  }

  private mapped(error: unknown): unknown {
    const mapped = toDatabaseError(error);
    if (mapped instanceof DatabaseUnavailableError) this.onUnavailable(mapped);
    return mapped;
  }
}
