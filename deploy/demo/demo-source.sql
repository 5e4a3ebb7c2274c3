-- The demo source database "demo_app": a stand-in for a Smart AI Hub service database.
-- Critical data (backed up): schemas public and billing, except the two noisy tables below.
-- Not critical (excluded by the demo source's configuration): public.audit_log, public.sessions.
-- Run as the database owner; idempotent.

CREATE SCHEMA IF NOT EXISTS billing;

CREATE TABLE IF NOT EXISTS public.customers (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email       text        NOT NULL UNIQUE,
    full_name   text        NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS public.orders (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    customer_id  bigint      NOT NULL REFERENCES public.customers (id),
    total_cents  bigint      NOT NULL,
    placed_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS billing.invoices (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id     bigint      NOT NULL REFERENCES public.orders (id),
    amount_cents bigint      NOT NULL,
    issued_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS public.audit_log (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    message    text        NOT NULL,
    logged_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS public.sessions (
    id          uuid        PRIMARY KEY,
    customer_id bigint      NOT NULL,
    expires_at  timestamptz NOT NULL
);

-- Seed once.
INSERT INTO public.customers (email, full_name)
SELECT 'customer' || g || '@example.com', 'Customer ' || g
FROM generate_series(1, 500) AS g
WHERE NOT EXISTS (SELECT 1 FROM public.customers);

INSERT INTO public.orders (customer_id, total_cents)
SELECT 1 + (g % 500), 100 + (g * 37) % 100000
FROM generate_series(1, 2000) AS g
WHERE NOT EXISTS (SELECT 1 FROM public.orders);

INSERT INTO billing.invoices (order_id, amount_cents)
SELECT id, total_cents FROM public.orders
WHERE NOT EXISTS (SELECT 1 FROM billing.invoices);

INSERT INTO public.audit_log (message)
SELECT 'event ' || g FROM generate_series(1, 3000) AS g
WHERE NOT EXISTS (SELECT 1 FROM public.audit_log);

INSERT INTO public.sessions (id, customer_id, expires_at)
SELECT md5(g::text)::uuid, 1 + (g % 500), now() + interval '1 day'
FROM generate_series(1, 300) AS g
WHERE NOT EXISTS (SELECT 1 FROM public.sessions);
