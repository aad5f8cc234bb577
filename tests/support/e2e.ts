// Loaded before every spec.
import './commands';
