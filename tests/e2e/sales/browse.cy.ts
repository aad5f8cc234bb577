// The sales site's public side, as a crawler and as an anonymous visitor
// see it: server-rendered launches, robots.txt and sitemap.xml, the list's
// filters, order and pages kept in a shareable URL, a launch's page, and
// the 404 page. Each spec makes its own launches: 13 to Mars on one far-off
// day no other run uses, so that filtering by that day isolates them.
import { eventually, tokenOf } from '../../support/commands';

const sales = (): string => Cypress.env('salesUrl') as string;

interface Fleet {
  rocketName: string;
  /** The departure day, `YYYY-MM-DD` (UTC). */
  day: string;
  /** Launch ids, in departure order; prices rise with it. */
  ids: string[];
}

const LAUNCHES = 13;
/** Launch `index`'s price in cents: EUR 10,000.00, then EUR 100 more each. */
const priceOf = (index: number) => 1_000_000 + index * 10_000;
/** That price as the site shows it. */
const shownPrice = (index: number) => `EUR ${(priceOf(index) / 100).toLocaleString('en-US')}.00`;

/** A rocket of a unique name and its 13 launches to Mars, read by the query API. */
function newFleet(): Cypress.Chainable<Fleet> {
  const stamp = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
  const rocketName = `Browse ${stamp}`;
  // A day 6 to 25 years ahead: far from any other spec's launches.
  const day = new Date(Date.now() + (2200 + Math.floor(Math.random() * 7000)) * 86_400_000).toISOString().slice(0, 10);
  const ids: string[] = [];
  return cy
    .api('commandApi', 'POST', '/v1/rockets', {
      token: tokenOf('operations'),
      body: { name: rocketName, capacity: 8, range: 'mars' },
    })
    .then((rocket) => {
      expect(rocket.status, JSON.stringify(rocket.body)).to.equal(201);
      const rocket_id = (rocket.body as { rocket_id: string }).rocket_id;
      for (let index = 0; index < LAUNCHES; index++) {
        cy.api('commandApi', 'POST', '/v1/launches', {
          token: tokenOf('operations'),
          body: {
            rocket_id,
            spaceport: 'Spaceport America',
            destination: 'mars',
            departure_at: `${day}T${String(8 + index).padStart(2, '0')}:00:00Z`,
            price_per_seat_cents: priceOf(index),
          },
        }).then((launch) => {
          expect(launch.status, JSON.stringify(launch.body)).to.equal(201);
          ids.push((launch.body as { launch_id: string }).launch_id);
        });
      }
    })
    .then(() =>
      eventually(
        () =>
          cy.api('queryApi', 'GET', '/v1/launches', {
            qs: { destination: 'mars', departure_from: day, departure_to: day, page_size: 100 },
          }),
        (response) => (response.body as { total?: number }).total === LAUNCHES,
        'the query API lists the new launches',
      ),
    )
    .then(() => cy.wrap<Fleet>({ rocketName, day, ids }, { log: false }));
}

/** The prices shown on the cards, in order. */
const shownPrices = (): Cypress.Chainable<string[]> =>
  cy.get('astro-launch-card .price').then((prices) => Cypress.$.makeArray(prices).map((p) => p.textContent!.trim()));

describe('the sales site, browsing', () => {
  let fleet: Fleet;

  before(() => {
    newFleet().then((made) => {
      fleet = made;
    });
  });

  it('gives a crawler without JavaScript the launches in the HTML, robots.txt and a sitemap', () => {
    cy.request(`${sales()}/?destination=mars&from=${fleet.day}&to=${fleet.day}`).then((page) => {
      expect(page.headers['content-type']).to.match(/^text\/html/);
      expect(page.body).to.contain(fleet.rocketName);
      expect(page.body).to.contain('EUR 10,000.00');
      expect(page.body).to.match(/<title>Mars launches with free seats — Astro Bookings<\/title>/);
      // No framing; the sign-in callback's one-time code never leaves in a Referer.
      expect(page.headers['x-frame-options']).to.equal('DENY');
      expect(page.headers['referrer-policy']).to.equal('same-origin');
    });
    cy.request(`${sales()}/launches/${fleet.ids[0]}`).then((page) => {
      expect(page.body).to.contain(fleet.rocketName);
      expect(page.body).to.match(/<title>Mars launch on \d{1,2} \w{3} \d{4} from Spaceport America — Astro Bookings<\/title>/);
      expect(page.body).to.match(/<meta name="description" content="[^"]*aboard Browse /);
      expect(page.body).to.contain(`<link rel="canonical" href="`);
    });
    cy.request(`${sales()}/robots.txt`).then((robots) => {
      expect(robots.body).to.contain('User-agent: *');
      expect(robots.body).to.match(/Sitemap: https?:\/\/\S+\/sitemap\.xml/);
    });
    cy.request(`${sales()}/sitemap.xml`).then((sitemap) => {
      expect(sitemap.headers['content-type']).to.match(/xml/);
      expect(sitemap.headers['cache-control']).to.contain('max-age=300');
      for (const id of fleet.ids) {
        expect(sitemap.body).to.contain(`/launches/${id}</loc>`);
      }
    });
  });

  it('lets a visitor filter, sort and page the launches, all kept in the URL', () => {
    cy.visit(sales());
    cy.get('h1').should('have.text', 'Launches with free seats');
    cy.checkPage('sales-launch-list');

    cy.get('#filter-destination').select('mars');
    cy.get('#filter-from').type(fleet.day);
    cy.get('#filter-to').type(fleet.day);
    cy.contains('button', 'Show launches').click();
    cy.location('search').should('equal', `?destination=mars&from=${fleet.day}&to=${fleet.day}`);
    cy.contains('h2', '13 launches');
    cy.contains('Page 1 of 2');
    cy.get('astro-launch-card').should('have.length', 12).first().should('contain', fleet.rocketName);
    shownPrices().should('deep.equal', Array.from({ length: 12 }, (_, i) => shownPrice(i)));

    cy.contains('a', 'Next page').click();
    cy.location('search').should('contain', 'page=2');
    cy.get('astro-launch-card').should('have.length', 1);
    shownPrices().should('deep.equal', [shownPrice(12)]);

    cy.get('#filter-sort').select('-price');
    cy.contains('button', 'Show launches').click();
    cy.location('search').should('equal', `?destination=mars&from=${fleet.day}&to=${fleet.day}&sort=-price`);
    shownPrices().its(0).should('equal', shownPrice(12));

    // Back returns to page 2 in departure order, and the form follows.
    cy.go('back');
    cy.location('search').should('contain', 'page=2');
    cy.get('#filter-sort').should('have.value', 'departure');
    shownPrices().should('deep.equal', [shownPrice(12)]);
  });

  it('shows the same launches to whoever opens a shared link, and after a reload', () => {
    const link = `${sales()}/?destination=mars&from=${fleet.day}&to=${fleet.day}&sort=-price&page=2`;
    cy.visit(link);
    cy.get('#filter-destination').should('have.value', 'mars');
    cy.get('#filter-sort').should('have.value', '-price');
    cy.contains('Page 2 of 2');
    shownPrices().should('deep.equal', [shownPrice(0)]);
    cy.reload();
    cy.contains('Page 2 of 2');
    shownPrices().should('deep.equal', [shownPrice(0)]);
  });

  it('says when nothing matches, and resets the filters', () => {
    cy.visit(`${sales()}/?destination=mars&from=${fleet.day}&to=${fleet.day}&min_seats=9`);
    cy.contains('No launch matches these filters');
    cy.checkPage('sales-launch-list-empty');
    cy.contains('a', 'Reset the filters').click();
    cy.location('search').should('equal', '');
    cy.get('#filter-destination').should('have.value', '');
  });

  it("shows a launch's page with everything about it and the way to book", () => {
    cy.visit(`${sales()}/?destination=mars&from=${fleet.day}&to=${fleet.day}`);
    cy.contains('astro-launch-card a', fleet.rocketName).first().click();
    cy.location('pathname').should('equal', `/launches/${fleet.ids[0]}`);
    cy.get('h1').should('contain', 'Mars launch on').and('contain', 'from Spaceport America');
    cy.contains('dd', fleet.rocketName);
    cy.contains('dd', 'Mars');
    cy.contains('dd', shownPrice(0));
    cy.contains('dd', '8 of 8');
    cy.contains('Scheduled');
    cy.contains('a', 'Book seats').should('have.attr', 'href', `/launches/${fleet.ids[0]}/book`);
    cy.title().should('match', /^Mars launch on .* — Astro Bookings$/);
    cy.checkPage('sales-launch-detail');
  });

  it('answers an unknown launch with a friendly 404 page', () => {
    const unknown = `${sales()}/launches/00000000-0000-4000-8000-000000000000`;
    cy.request({ url: unknown, failOnStatusCode: false }).then((page) => {
      expect(page.status).to.equal(404);
      expect(page.body).to.contain('Launch not found');
    });
    cy.request({ url: `${sales()}/launches/not-a-launch`, failOnStatusCode: false }).its('status').should('equal', 404);
    cy.visit(unknown, { failOnStatusCode: false });
    cy.get('h1').should('have.text', 'Launch not found');
    cy.contains('a', 'See the launches with free seats').should('have.attr', 'href', '/');
    cy.checkPage('sales-launch-not-found');
  });
});
