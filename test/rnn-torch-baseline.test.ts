// RNN, LSTM and GRU against PyTorch fixtures, baseline SIMD build (see rnn-torch.suite.ts).
import { torchSuite } from './rnn-torch.suite.js';

torchSuite('baseline');
