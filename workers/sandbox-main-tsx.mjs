// BullMQ forks sandbox children with the parent's exec flags. Register tsx here as well, so the
// TypeScript processor loads whatever flags the parent had (a test runner, plain node).
import { register } from 'tsx/esm/api';

register();
const { default: processor } = await import('./sandbox-main.ts');
export default processor;
