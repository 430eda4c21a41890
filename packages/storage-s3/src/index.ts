export { S3SessionStorage, type S3SessionStorageOptions } from './S3SessionStorage.js';
