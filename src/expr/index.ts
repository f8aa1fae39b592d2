/**
 * Objective expressions: parser, compiler to Tensor ops, built-in test functions. The minimize task
 * that runs optimizers on them is src/train/tasks/minimize.ts.
 */
export { ExprError } from './errors.js';
export { EXPR_LIMITS, type ExprLimits } from './limits.js';
export { tokenize, type Token } from './tokens.js';
export { parse, type ParseOptions, type Parsed } from './parser.js';
export { show, variablesOf, FUNCTIONS, CONSTANTS, type Node, type FunctionName } from './ast.js';
export { evaluate } from './evaluate.js';
export { BUILTIN_OBJECTIVES, findBuiltinObjective, type BuiltinObjective } from './builtins.js';
export { compileObjective, type CompiledObjective, type CompileOptions } from './compile.js';
