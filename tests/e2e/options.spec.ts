import { options } from './scenarios/options';
import { runScenarios } from './support/test';

runScenarios(options);
