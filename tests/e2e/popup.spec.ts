import { popup } from './scenarios/popup';
import { runScenarios } from './support/test';

runScenarios(popup);
