/**
 * Method forms of the ops (`x.add(y).relu().sum()`), attached to Tensor's prototype.
 * Each is the function of the same name; see there for the maths.
 */
import * as act from './ops/activations.js';
import * as el from './ops/elementwise.js';
import { matmul } from './ops/matmul.js';
import * as mv from './ops/movement.js';
import * as rd from './ops/reduce.js';
import { Tensor } from './tensor.js';

type Operand = Tensor | number;
type Axis = number | readonly number[];

declare module './tensor.js' {
  interface Tensor {
    add(b: Operand): Tensor;
    sub(b: Operand): Tensor;
    mul(b: Operand): Tensor;
    div(b: Operand): Tensor;
    neg(): Tensor;
    pow(p: number): Tensor;
    exp(): Tensor;
    log(): Tensor;
    sqrt(): Tensor;
    abs(): Tensor;
    sin(): Tensor;
    cos(): Tensor;
    tanh(): Tensor;
    sigmoid(): Tensor;
    relu(): Tensor;
    matmul(b: Tensor): Tensor;
    transpose(dim0?: number, dim1?: number): Tensor;
    reshape(shape: readonly number[]): Tensor;
    sum(axis?: Axis, keepdim?: boolean): Tensor;
    mean(axis?: Axis, keepdim?: boolean): Tensor;
    max(axis?: Axis, keepdim?: boolean): Tensor;
    min(axis?: Axis, keepdim?: boolean): Tensor;
    softmax(axis?: number): Tensor;
    logSoftmax(axis?: number): Tensor;
    clamp(min?: number | null, max?: number | null): Tensor;
  }
}

const P = Tensor.prototype;
P.add = function (b) {
  return el.add(this, b);
};
P.sub = function (b) {
  return el.sub(this, b);
};
P.mul = function (b) {
  return el.mul(this, b);
};
P.div = function (b) {
  return el.div(this, b);
};
P.neg = function () {
  return el.neg(this);
};
P.pow = function (p) {
  return el.pow(this, p);
};
P.exp = function () {
  return el.exp(this);
};
P.log = function () {
  return el.log(this);
};
P.sqrt = function () {
  return el.sqrt(this);
};
P.abs = function () {
  return el.abs(this);
};
P.sin = function () {
  return el.sin(this);
};
P.cos = function () {
  return el.cos(this);
};
P.tanh = function () {
  return act.tanh(this);
};
P.sigmoid = function () {
  return act.sigmoid(this);
};
P.relu = function () {
  return act.relu(this);
};
P.matmul = function (b) {
  return matmul(this, b);
};
P.transpose = function (d0, d1) {
  return mv.transpose(this, d0, d1);
};
P.reshape = function (shape) {
  return mv.reshape(this, shape);
};
P.sum = function (axis, keepdim) {
  return rd.sum(this, axis, keepdim);
};
P.mean = function (axis, keepdim) {
  return rd.mean(this, axis, keepdim);
};
P.max = function (axis, keepdim) {
  return rd.max(this, axis, keepdim);
};
P.min = function (axis, keepdim) {
  return rd.min(this, axis, keepdim);
};
P.softmax = function (axis) {
  return rd.softmax(this, axis);
};
P.logSoftmax = function (axis) {
  return rd.logSoftmax(this, axis);
};
P.clamp = function (lo, hi) {
  return el.clamp(this, lo, hi);
};
