// Loader for the stub processor: registers tsx in the forked child, like workers/train.sandbox.mjs.
import { register } from 'tsx/esm/api';

register();
const { default: processor } = await import('./stub.processor.ts');
export default processor;
