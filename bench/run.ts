/**
 * `npm run bench`: the library bench then the HTTP bench, on one private Redis, in one run.
 * Results go to bench/results/{library,http}.{json,md} and into the latest-run section of
 * bench/README.md. Knobs: see bench/README.md.
 */
import { runHttpBench } from './http.js';
import { runLibraryBench } from './library.js';
import { readBenchSettings } from './support/bench-settings.js';
import { startBenchRedis } from './support/bench-redis.js';
import { updateReadme } from './support/results-writer.js';

const settings = readBenchSettings();
const started = performance.now();
const redis = await startBenchRedis();
console.log(
  `bench: redis ${redis.version} on port ${redis.server.port} (pid ${redis.server.pid}); settings ${JSON.stringify(settings)}`,
);
try {
  console.log('library bench');
  const library = await runLibraryBench(redis, settings);
  console.log('http bench');
  const http = await runHttpBench(redis, settings);
  await updateReadme(`${library}\n${http}`);
  console.log(`\n${library}\n${http}\nbench/README.md updated.`);
} finally {
  await redis.server.stop();
}
console.log(`bench: done in ${Math.round((performance.now() - started) / 1000)} s`);
