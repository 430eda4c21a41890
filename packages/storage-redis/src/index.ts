export { RedisSessionStorage, type RedisSessionStorageOptions } from './RedisSessionStorage.js';
