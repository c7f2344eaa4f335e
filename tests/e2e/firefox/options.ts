import { options } from '../scenarios/options';
import { runScenarios } from '../support/firefox';

runScenarios(options);
