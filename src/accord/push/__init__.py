"""Push delivery: signed webhooks and a WebSub hub, driven by the change log.

A committed write that changes what the public sees inserts its deliveries in the same transaction
(``outbox.enqueue_for_write``, one of the writer's ``in_transaction`` hooks, registered by
``accord.services``); the deliverer of every ``accord serve`` process claims due
deliveries and sends them over HTTP (``deliverer``), signed per the Standard Webhooks specification
(``signing``), to addresses the SSRF guard allows (``addresses``).

Modules:

- ``events``: the event catalogue and which events a change raises;
- ``payload``: the JSON body of a webhook event;
- ``signing``: secrets, Standard Webhooks signatures, WebSub's ``X-Hub-Signature``;
- ``addresses``: URL rules and the address check made at registration and before each request;
- ``sender``: one HTTP request to a checked address, with a total timeout and a capped answer;
- ``retry``: the retry schedule;
- ``topics``: WebSub topics (accord's feed URLs), which events appear in one, rendering it;
- ``outbox``: enqueueing deliveries inside the write transaction;
- ``deliverer``: claiming, sending and recording deliveries;
- ``admin``: the plain functions behind the CLI and GraphQL: endpoints, deliveries, replay, test;
- ``graphql``: the admin API's strawberry types and root fields, handed to the schema by services;
- ``websub``: the hub's ``/websub`` endpoint and verification of intent;
- ``service``: what ``accord serve`` starts and stops.
"""
