import { updates } from '../scenarios/updates';
import { runScenarios } from '../support/firefox';

runScenarios(updates);
