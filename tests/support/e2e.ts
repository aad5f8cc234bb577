// Loaded before every spec.
import { register as registerCypressGrep } from '@cypress/grep';
import './commands';
import './web';
import './signin';

// Tags (`{ tags: '@smoke' }`) select a subset: `--env grepTags=@smoke`.
registerCypressGrep();
