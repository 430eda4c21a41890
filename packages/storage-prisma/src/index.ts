export {
  type DatabaseTarget,
  PrismaUrlError,
  parseDatabaseUrl,
  redactDatabaseUrl,
} from './database-url.js';
export { PrismaDriverNotInstalledError } from './drivers.js';
export { type MigrateOptions, migrate } from './migrate-url.js';
export {
  type ApplyMigrationsOptions,
  applyMigrations,
  type MigrationAdapterFactory,
  type MigrationConnection,
  type MigrationProvider,
  type MigrationResult,
  migrationsDirectory,
  readShippedMigrations,
  type ShippedMigration,
} from './migrations.js';
export {
  type OpenedPrismaSessionStorage,
  type OpenPrismaSessionStorageOptions,
  openPrismaSessionStorage,
} from './open-url.js';
export { PrismaSessionStorage, type PrismaSessionStorageOptions } from './PrismaSessionStorage.js';
export type { ChannelCoderPrismaClient } from './prisma-models.js';
export { isConnectionFailure } from './storage-errors.js';
