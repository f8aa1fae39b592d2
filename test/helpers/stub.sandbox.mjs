// Loader for the stub processor: registers tsx in the forked child, like workers/sandbox-main-tsx.mjs.
import { register } from 'tsx/esm/api';

register();
const { default: processor } = await import('./stub.processor.ts');
export default processor;
