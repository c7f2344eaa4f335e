import { popup } from '../scenarios/popup';
import { runScenarios } from '../support/firefox';

runScenarios(popup);
