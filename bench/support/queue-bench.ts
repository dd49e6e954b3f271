import { closeDb } from '../../db/client.js';
import { getRedis } from '../../lib/queue/redis.js';
import { createBenchDatabase, type BenchDatabase } from './bench-database.js';
import { startCountedRedisEndpoint, type CountedRedisEndpoint } from './counted-redis.js';
import { useServiceEnvironment } from './service-environment.js';

/** The task the queue benchmarks run: a custom_sql `select 1`, the cheapest review there is. */
export const SELECT_ONE_PARAMS = {
  custom_sql: 'select 1',
  max_rows: 1000,
  query_timeout: 300,
  output_format: 'json',
  analysis_target: 'queries',
  detailed_analysis: true,
};

export interface QueueBench {
  database: BenchDatabase;
  redis: CountedRedisEndpoint;
  queueName: string;
  /** Empties the queue keys, closes the service's connections and the endpoint, drops the database. */
  close(): Promise<void>;
}

/**
 * What a benchmark of the tick or the consumer needs of its own: a migrated service database, a REST
 * endpoint that counts its requests, queue keys, and the service's environment pointed at them.
 */
export async function startQueueBench(label: string): Promise<QueueBench> {
  const database = await createBenchDatabase(label);
  const redis = await startCountedRedisEndpoint();
  const { queueName } = useServiceEnvironment({
    databaseUrl: database.url,
    redisUrl: redis.url,
    redisToken: redis.token,
  });
  return {
    database,
    redis,
    queueName,
    async close() {
      await getRedis()
        .del(queueName, `${queueName}:processing`)
        .catch(() => undefined);
      await closeDb();
      await redis.close();
      await database.drop();
    },
  };
}
