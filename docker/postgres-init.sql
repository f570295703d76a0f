-- One database per service, as in development.
CREATE DATABASE catalog;
CREATE DATABASE sourcing;
CREATE DATABASE gateway;
