// A contained job's thread from TypeScript sources: register tsx in this thread first (as
// sandbox-main-tsx.mjs does in the sandbox child), then load the thread's entry.
import { register } from 'tsx/esm/api';

register();
await import('./trainer-thread.ts');
