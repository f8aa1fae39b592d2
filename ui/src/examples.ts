/** The repository's examples/, bundled into the page (the New job page's "pick an example"). */
import digitsCnn from '../../examples/digits-cnn.json';
import digitsMlpAdam from '../../examples/digits-mlp-adam.json';
import irisAdagrad from '../../examples/iris-adagrad.json';
import irisAdamw from '../../examples/iris-adamw.json';
import irisMlpAdam from '../../examples/iris-mlp-adam.json';
import irisNadam from '../../examples/iris-nadam.json';
import irisRadam from '../../examples/iris-radam.json';
import irisRmsprop from '../../examples/iris-rmsprop.json';
import irisSequential from '../../examples/iris-sequential.json';
import irisSgdMomentum from '../../examples/iris-sgd-momentum.json';
import linregBatchGd from '../../examples/linreg-batch-gd.json';
import linregLbfgs from '../../examples/linreg-lbfgs.json';
import linregMinibatchGd from '../../examples/linreg-minibatch-gd.json';
import linregNewton from '../../examples/linreg-newton.json';
import linregStochasticGd from '../../examples/linreg-stochastic-gd.json';
import minimizeHimmelblauNewton from '../../examples/minimize-himmelblau-newton.json';
import reinforceCartpole from '../../examples/reinforce-cartpole.json';
import sortedTokensTransformer from '../../examples/sorted-tokens-transformer.json';
import sunspotsLstm from '../../examples/sunspots-lstm.json';

/** Example name (the file name without .json) → JobSpec. */
export const EXAMPLES: Readonly<Record<string, object>> = {
  'digits-cnn': digitsCnn,
  'digits-mlp-adam': digitsMlpAdam,
  'iris-adagrad': irisAdagrad,
  'iris-adamw': irisAdamw,
  'iris-mlp-adam': irisMlpAdam,
  'iris-nadam': irisNadam,
  'iris-radam': irisRadam,
  'iris-rmsprop': irisRmsprop,
  'iris-sequential': irisSequential,
  'iris-sgd-momentum': irisSgdMomentum,
  'linreg-batch-gd': linregBatchGd,
  'linreg-lbfgs': linregLbfgs,
  'linreg-minibatch-gd': linregMinibatchGd,
  'linreg-newton': linregNewton,
  'linreg-stochastic-gd': linregStochasticGd,
  'minimize-himmelblau-newton': minimizeHimmelblauNewton,
  'reinforce-cartpole': reinforceCartpole,
  'sorted-tokens-transformer': sortedTokensTransformer,
  'sunspots-lstm': sunspotsLstm,
};
