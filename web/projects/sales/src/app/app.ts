import { Component } from '@angular/core';
import { RouterLink, RouterLinkActive, RouterOutlet } from '@angular/router';

import { SessionNav } from './session-nav/session-nav';

/** The page frame: a skip link, the header, the routed page and the footer. */
@Component({
  selector: 'astro-root',
  imports: [RouterOutlet, RouterLink, RouterLinkActive, SessionNav],
  templateUrl: './app.html',
  styleUrl: './app.css',
})
export class App {}
