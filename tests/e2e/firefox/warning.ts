import { warning } from '../scenarios/warning';
import { runScenarios } from '../support/firefox';

runScenarios(warning);
