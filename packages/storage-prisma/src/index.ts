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
export { PrismaSessionStorage, type PrismaSessionStorageOptions } from './PrismaSessionStorage.js';
export type { ChannelCoderPrismaClient } from './prisma-models.js';
export { isConnectionFailure } from './storage-errors.js';
