-- One database per service, as in development (the website's holds its sessions only).
CREATE DATABASE catalog;
CREATE DATABASE sourcing;
CREATE DATABASE gateway;
CREATE DATABASE web;
