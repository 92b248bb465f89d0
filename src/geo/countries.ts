import { placeKey } from "./normalize.js";

export type Continent =
  | "Africa"
  | "Antarctica"
  | "Asia"
  | "Europe"
  | "North America"
  | "Oceania"
  | "South America";

/** The continents people pick from (Antarctica has no groups; "Australia" is read as Oceania). */
export const CONTINENTS: readonly Continent[] = [
  "Africa",
  "Asia",
  "Europe",
  "North America",
  "South America",
  "Oceania",
];

/** A continent by its name, any case; "Australia" means Oceania. */
export function continentNamed(name: string | null | undefined): Continent | null {
  const n = name?.trim().toLowerCase();
  if (!n) return null;
  if (n === "australia") return "Oceania";
  if (n === "antarctica") return "Antarctica";
  return CONTINENTS.find((c) => c.toLowerCase() === n) ?? null;
}

export interface Country {
  /** ISO 3166-1 alpha-2, upper case */
  code: string;
  name: string;
  continent: Continent;
  capital: string;
  /** The capital's position, used when a group names only its country. */
  lat: number;
  lon: number;
}

const CONTINENT_BY_TAG: Record<string, Continent> = {
  AF: "Africa",
  AN: "Antarctica",
  AS: "Asia",
  EU: "Europe",
  NA: "North America",
  OC: "Oceania",
  SA: "South America",
};

// code, English name, continent, capital, capital lat, capital lon (capitals as GeoNames places them).
const COUNTRY_ROWS: readonly (readonly [string, string, string, string, number, number])[] = [
  ["AD", "Andorra", "EU", "Andorra la Vella", 42.5078, 1.5211],
  ["AE", "United Arab Emirates", "AS", "Abu Dhabi", 24.4512, 54.397],
  ["AF", "Afghanistan", "AS", "Kabul", 34.5281, 69.1723],
  ["AG", "Antigua and Barbuda", "NA", "Saint John's", 17.121, -61.8433],
  ["AI", "Anguilla", "NA", "The Valley", 18.217, -63.0578],
  ["AL", "Albania", "EU", "Tirana", 41.3275, 19.8189],
  ["AM", "Armenia", "AS", "Yerevan", 40.1811, 44.5136],
  ["AO", "Angola", "AF", "Luanda", -8.8368, 13.2343],
  ["AQ", "Antarctica", "AN", "McMurdo Station", -77.846, 166.676],
  ["AR", "Argentina", "SA", "Buenos Aires", -34.6131, -58.3772],
  ["AS", "American Samoa", "OC", "Pago Pago", -14.2781, -170.7025],
  ["AT", "Austria", "EU", "Vienna", 48.2085, 16.3721],
  ["AU", "Australia", "OC", "Canberra", -35.2835, 149.1281],
  ["AW", "Aruba", "NA", "Oranjestad", 12.524, -70.027],
  ["AX", "Åland Islands", "EU", "Mariehamn", 60.0973, 19.9348],
  ["AZ", "Azerbaijan", "AS", "Baku", 40.3777, 49.892],
  ["BA", "Bosnia and Herzegovina", "EU", "Sarajevo", 43.8486, 18.3564],
  ["BB", "Barbados", "NA", "Bridgetown", 13.1073, -59.6202],
  ["BD", "Bangladesh", "AS", "Dhaka", 23.7104, 90.4074],
  ["BE", "Belgium", "EU", "Brussels", 50.8505, 4.3488],
  ["BF", "Burkina Faso", "AF", "Ouagadougou", 12.3657, -1.5339],
  ["BG", "Bulgaria", "EU", "Sofia", 42.6975, 23.3241],
  ["BH", "Bahrain", "AS", "Manama", 26.2279, 50.5857],
  ["BI", "Burundi", "AF", "Gitega", -3.4271, 29.9246],
  ["BJ", "Benin", "AF", "Porto-Novo", 6.4965, 2.6036],
  ["BL", "Saint Barthélemy", "NA", "Gustavia", 17.8962, -62.8498],
  ["BM", "Bermuda", "NA", "Hamilton", 32.2949, -64.783],
  ["BN", "Brunei", "AS", "Bandar Seri Begawan", 4.8903, 114.9401],
  ["BO", "Bolivia", "SA", "Sucre", -19.0333, -65.2627],
  ["BQ", "Caribbean Netherlands", "NA", "Kralendijk", 12.15, -68.2667],
  ["BR", "Brazil", "SA", "Brasília", -15.7797, -47.9297],
  ["BS", "Bahamas", "NA", "Nassau", 25.0582, -77.3431],
  ["BT", "Bhutan", "AS", "Thimphu", 27.4661, 89.6419],
  ["BW", "Botswana", "AF", "Gaborone", -24.6545, 25.9086],
  ["BY", "Belarus", "EU", "Minsk", 53.9, 27.5667],
  ["BZ", "Belize", "NA", "Belmopan", 17.25, -88.7667],
  ["CA", "Canada", "NA", "Ottawa", 45.4112, -75.6981],
  ["CC", "Cocos (Keeling) Islands", "AS", "West Island", -12.1568, 96.8225],
  ["CD", "Democratic Republic of the Congo", "AF", "Kinshasa", -4.3276, 15.3136],
  ["CF", "Central African Republic", "AF", "Bangui", 4.3612, 18.555],
  ["CG", "Republic of the Congo", "AF", "Brazzaville", -4.2661, 15.2832],
  ["CH", "Switzerland", "EU", "Bern", 46.9481, 7.4474],
  ["CI", "Ivory Coast", "AF", "Yamoussoukro", 6.8205, -5.2767],
  ["CK", "Cook Islands", "OC", "Avarua", -21.2075, -159.7755],
  ["CL", "Chile", "SA", "Santiago", -33.4569, -70.6483],
  ["CM", "Cameroon", "AF", "Yaoundé", 3.8667, 11.5167],
  ["CN", "China", "AS", "Beijing", 39.9075, 116.3972],
  ["CO", "Colombia", "SA", "Bogotá", 4.6097, -74.0817],
  ["CR", "Costa Rica", "NA", "San José", 9.9333, -84.0833],
  ["CU", "Cuba", "NA", "Havana", 23.133, -82.383],
  ["CV", "Cape Verde", "AF", "Praia", 14.9315, -23.5125],
  ["CW", "Curaçao", "NA", "Willemstad", 12.1084, -68.9335],
  ["CX", "Christmas Island", "AS", "Flying Fish Cove", -10.4217, 105.6791],
  ["CY", "Cyprus", "EU", "Nicosia", 35.1753, 33.3642],
  ["CZ", "Czech Republic", "EU", "Prague", 50.088, 14.4208],
  ["DE", "Germany", "EU", "Berlin", 52.5244, 13.4105],
  ["DJ", "Djibouti", "AF", "Djibouti", 11.589, 43.145],
  ["DK", "Denmark", "EU", "Copenhagen", 55.6759, 12.5655],
  ["DM", "Dominica", "NA", "Roseau", 15.3017, -61.3881],
  ["DO", "Dominican Republic", "NA", "Santo Domingo", 18.4719, -69.8923],
  ["DZ", "Algeria", "AF", "Algiers", 36.7323, 3.0875],
  ["EC", "Ecuador", "SA", "Quito", -0.2298, -78.525],
  ["EE", "Estonia", "EU", "Tallinn", 59.437, 24.7535],
  ["EG", "Egypt", "AF", "Cairo", 30.0626, 31.2497],
  ["EH", "Western Sahara", "AF", "Laayoune", 27.1418, -13.188],
  ["ER", "Eritrea", "AF", "Asmara", 15.3381, 38.9318],
  ["ES", "Spain", "EU", "Madrid", 40.4165, -3.7026],
  ["ET", "Ethiopia", "AF", "Addis Ababa", 9.025, 38.7469],
  ["FI", "Finland", "EU", "Helsinki", 60.1695, 24.9354],
  ["FJ", "Fiji", "OC", "Suva", -18.1416, 178.4415],
  ["FK", "Falkland Islands", "SA", "Stanley", -51.6938, -57.857],
  ["FM", "Micronesia", "OC", "Palikir", 6.9248, 158.1611],
  ["FO", "Faroe Islands", "EU", "Tórshavn", 62.0097, -6.7716],
  ["FR", "France", "EU", "Paris", 48.8534, 2.3488],
  ["GA", "Gabon", "AF", "Libreville", 0.3924, 9.4536],
  ["GB", "United Kingdom", "EU", "London", 51.5085, -0.1257],
  ["GD", "Grenada", "NA", "Saint George's", 12.0529, -61.7523],
  ["GE", "Georgia", "AS", "Tbilisi", 41.6941, 44.8337],
  ["GF", "French Guiana", "SA", "Cayenne", 4.9333, -52.3333],
  ["GG", "Guernsey", "EU", "Saint Peter Port", 49.4598, -2.5353],
  ["GH", "Ghana", "AF", "Accra", 5.556, -0.1969],
  ["GI", "Gibraltar", "EU", "Gibraltar", 36.1447, -5.3526],
  ["GL", "Greenland", "NA", "Nuuk", 64.1835, -51.7216],
  ["GM", "Gambia", "AF", "Banjul", 13.4527, -16.578],
  ["GN", "Guinea", "AF", "Conakry", 9.538, -13.6773],
  ["GP", "Guadeloupe", "NA", "Basse-Terre", 15.9971, -61.7321],
  ["GQ", "Equatorial Guinea", "AF", "Malabo", 3.7558, 8.7817],
  ["GR", "Greece", "EU", "Athens", 37.9838, 23.7278],
  ["GS", "South Georgia and South Sandwich Islands", "AN", "Grytviken", -54.2811, -36.5092],
  ["GT", "Guatemala", "NA", "Guatemala City", 14.6407, -90.5133],
  ["GU", "Guam", "OC", "Hagåtña", 13.4757, 144.7489],
  ["GW", "Guinea-Bissau", "AF", "Bissau", 11.8636, -15.5977],
  ["GY", "Guyana", "SA", "Georgetown", 6.8045, -58.1553],
  ["HK", "Hong Kong", "AS", "Hong Kong", 22.2783, 114.1747],
  ["HN", "Honduras", "NA", "Tegucigalpa", 14.0818, -87.2068],
  ["HR", "Croatia", "EU", "Zagreb", 45.8144, 15.978],
  ["HT", "Haiti", "NA", "Port-au-Prince", 18.5435, -72.3388],
  ["HU", "Hungary", "EU", "Budapest", 47.4984, 19.0404],
  ["ID", "Indonesia", "AS", "Jakarta", -6.2146, 106.8451],
  ["IE", "Ireland", "EU", "Dublin", 53.3331, -6.2489],
  ["IL", "Israel", "AS", "Jerusalem", 31.769, 35.2163],
  ["IM", "Isle of Man", "EU", "Douglas", 54.15, -4.4833],
  ["IN", "India", "AS", "New Delhi", 28.6358, 77.2245],
  ["IQ", "Iraq", "AS", "Baghdad", 33.3406, 44.4009],
  ["IR", "Iran", "AS", "Tehran", 35.6944, 51.4215],
  ["IS", "Iceland", "EU", "Reykjavík", 64.1355, -21.8954],
  ["IT", "Italy", "EU", "Rome", 41.8919, 12.5113],
  ["JE", "Jersey", "EU", "Saint Helier", 49.188, -2.1049],
  ["JM", "Jamaica", "NA", "Kingston", 17.997, -76.7936],
  ["JO", "Jordan", "AS", "Amman", 31.9552, 35.945],
  ["JP", "Japan", "AS", "Tokyo", 35.6895, 139.6917],
  ["KE", "Kenya", "AF", "Nairobi", -1.2833, 36.8167],
  ["KG", "Kyrgyzstan", "AS", "Bishkek", 42.87, 74.59],
  ["KH", "Cambodia", "AS", "Phnom Penh", 11.5625, 104.916],
  ["KI", "Kiribati", "OC", "Tarawa", 1.3278, 172.977],
  ["KM", "Comoros", "AF", "Moroni", -11.7022, 43.2551],
  ["KN", "Saint Kitts and Nevis", "NA", "Basseterre", 17.2955, -62.725],
  ["KP", "North Korea", "AS", "Pyongyang", 39.0339, 125.7543],
  ["KR", "South Korea", "AS", "Seoul", 37.566, 126.9784],
  ["KW", "Kuwait", "AS", "Kuwait City", 29.3697, 47.9783],
  ["KY", "Cayman Islands", "NA", "George Town", 19.2866, -81.3744],
  ["KZ", "Kazakhstan", "AS", "Astana", 51.1801, 71.446],
  ["LA", "Laos", "AS", "Vientiane", 17.9667, 102.6],
  ["LB", "Lebanon", "AS", "Beirut", 33.8933, 35.5016],
  ["LC", "Saint Lucia", "NA", "Castries", 13.9957, -61.0061],
  ["LI", "Liechtenstein", "EU", "Vaduz", 47.1415, 9.5215],
  ["LK", "Sri Lanka", "AS", "Colombo", 6.9355, 79.8487],
  ["LR", "Liberia", "AF", "Monrovia", 6.3005, -10.7969],
  ["LS", "Lesotho", "AF", "Maseru", -29.3167, 27.4833],
  ["LT", "Lithuania", "EU", "Vilnius", 54.6892, 25.2798],
  ["LU", "Luxembourg", "EU", "Luxembourg", 49.6117, 6.13],
  ["LV", "Latvia", "EU", "Riga", 56.946, 24.1059],
  ["LY", "Libya", "AF", "Tripoli", 32.8874, 13.1873],
  ["MA", "Morocco", "AF", "Rabat", 34.0132, -6.8326],
  ["MC", "Monaco", "EU", "Monaco", 43.7333, 7.4167],
  ["MD", "Moldova", "EU", "Chisinau", 47.0056, 28.8575],
  ["ME", "Montenegro", "EU", "Podgorica", 42.4411, 19.2636],
  ["MF", "Saint Martin", "NA", "Marigot", 18.0682, -63.083],
  ["MG", "Madagascar", "AF", "Antananarivo", -18.9137, 47.5361],
  ["MH", "Marshall Islands", "OC", "Majuro", 7.0897, 171.3803],
  ["MK", "North Macedonia", "EU", "Skopje", 41.9965, 21.4314],
  ["ML", "Mali", "AF", "Bamako", 12.65, -8],
  ["MM", "Myanmar", "AS", "Naypyidaw", 19.745, 96.1297],
  ["MN", "Mongolia", "AS", "Ulaanbaatar", 47.9077, 106.8832],
  ["MO", "Macau", "AS", "Macau", 22.2006, 113.5461],
  ["MP", "Northern Mariana Islands", "OC", "Saipan", 15.2123, 145.7545],
  ["MQ", "Martinique", "NA", "Fort-de-France", 14.6037, -61.0742],
  ["MR", "Mauritania", "AF", "Nouakchott", 18.0858, -15.9785],
  ["MS", "Montserrat", "NA", "Plymouth", 16.7055, -62.2129],
  ["MT", "Malta", "EU", "Valletta", 35.8997, 14.5148],
  ["MU", "Mauritius", "AF", "Port Louis", -20.1619, 57.4989],
  ["MV", "Maldives", "AS", "Male", 4.1752, 73.5092],
  ["MW", "Malawi", "AF", "Lilongwe", -13.9669, 33.7873],
  ["MX", "Mexico", "NA", "Mexico City", 19.4285, -99.1277],
  ["MY", "Malaysia", "AS", "Kuala Lumpur", 3.1412, 101.6865],
  ["MZ", "Mozambique", "AF", "Maputo", -25.9655, 32.5832],
  ["NA", "Namibia", "AF", "Windhoek", -22.5594, 17.0832],
  ["NC", "New Caledonia", "OC", "Nouméa", -22.2741, 166.4488],
  ["NE", "Niger", "AF", "Niamey", 13.5137, 2.1098],
  ["NF", "Norfolk Island", "OC", "Kingston", -29.0546, 167.9663],
  ["NG", "Nigeria", "AF", "Abuja", 9.0579, 7.4951],
  ["NI", "Nicaragua", "NA", "Managua", 12.1328, -86.2504],
  ["NL", "Netherlands", "EU", "Amsterdam", 52.374, 4.8897],
  ["NO", "Norway", "EU", "Oslo", 59.9127, 10.7461],
  ["NP", "Nepal", "AS", "Kathmandu", 27.7017, 85.3206],
  ["NR", "Nauru", "OC", "Yaren", -0.5508, 166.9252],
  ["NU", "Niue", "OC", "Alofi", -19.0545, -169.9177],
  ["NZ", "New Zealand", "OC", "Wellington", -41.2866, 174.7756],
  ["OM", "Oman", "AS", "Muscat", 23.5841, 58.4078],
  ["PA", "Panama", "NA", "Panamá", 8.9936, -79.5197],
  ["PE", "Peru", "SA", "Lima", -12.0432, -77.0282],
  ["PF", "French Polynesia", "OC", "Papeete", -17.5373, -149.5665],
  ["PG", "Papua New Guinea", "OC", "Port Moresby", -9.4772, 147.1509],
  ["PH", "Philippines", "AS", "Manila", 14.6042, 120.9822],
  ["PK", "Pakistan", "AS", "Islamabad", 33.7215, 73.0433],
  ["PL", "Poland", "EU", "Warsaw", 52.2298, 21.0118],
  ["PM", "Saint Pierre and Miquelon", "NA", "Saint-Pierre", 46.7791, -56.1773],
  ["PN", "Pitcairn Islands", "OC", "Adamstown", -25.066, -130.1015],
  ["PR", "Puerto Rico", "NA", "San Juan", 18.4663, -66.1057],
  ["PS", "Palestine", "AS", "Ramallah", 31.8996, 35.2042],
  ["PT", "Portugal", "EU", "Lisbon", 38.7167, -9.1333],
  ["PW", "Palau", "OC", "Ngerulmud", 7.5008, 134.6238],
  ["PY", "Paraguay", "SA", "Asunción", -25.2865, -57.647],
  ["QA", "Qatar", "AS", "Doha", 25.2855, 51.531],
  ["RE", "Réunion", "AF", "Saint-Denis", -20.8823, 55.4504],
  ["RO", "Romania", "EU", "Bucharest", 44.4323, 26.1063],
  ["RS", "Serbia", "EU", "Belgrade", 44.804, 20.4651],
  ["RU", "Russia", "EU", "Moscow", 55.7522, 37.6156],
  ["RW", "Rwanda", "AF", "Kigali", -1.95, 30.0588],
  ["SA", "Saudi Arabia", "AS", "Riyadh", 24.6877, 46.7219],
  ["SB", "Solomon Islands", "OC", "Honiara", -9.4333, 159.95],
  ["SC", "Seychelles", "AF", "Victoria", -4.62, 55.455],
  ["SD", "Sudan", "AF", "Khartoum", 15.5518, 32.5324],
  ["SE", "Sweden", "EU", "Stockholm", 59.3294, 18.0687],
  ["SG", "Singapore", "AS", "Singapore", 1.2897, 103.8501],
  ["SH", "Saint Helena", "AF", "Jamestown", -15.9387, -5.7168],
  ["SI", "Slovenia", "EU", "Ljubljana", 46.0511, 14.5051],
  ["SJ", "Svalbard and Jan Mayen", "EU", "Longyearbyen", 78.2233, 15.6469],
  ["SK", "Slovakia", "EU", "Bratislava", 48.1482, 17.1067],
  ["SL", "Sierra Leone", "AF", "Freetown", 8.4871, -13.2356],
  ["SM", "San Marino", "EU", "San Marino", 43.9367, 12.4464],
  ["SN", "Senegal", "AF", "Dakar", 14.6937, -17.4441],
  ["SO", "Somalia", "AF", "Mogadishu", 2.0371, 45.3438],
  ["SR", "Suriname", "SA", "Paramaribo", 5.8664, -55.1668],
  ["SS", "South Sudan", "AF", "Juba", 4.8517, 31.5825],
  ["ST", "São Tomé and Príncipe", "AF", "São Tomé", 0.3365, 6.7273],
  ["SV", "El Salvador", "NA", "San Salvador", 13.6893, -89.1872],
  ["SX", "Sint Maarten", "NA", "Philipsburg", 18.026, -63.0458],
  ["SY", "Syria", "AS", "Damascus", 33.5102, 36.2913],
  ["SZ", "Eswatini", "AF", "Mbabane", -26.3167, 31.1333],
  ["TC", "Turks and Caicos Islands", "NA", "Cockburn Town", 21.4612, -71.1419],
  ["TD", "Chad", "AF", "N'Djamena", 12.1067, 15.0444],
  ["TF", "French Southern Territories", "AN", "Port-aux-Français", -49.3492, 70.2194],
  ["TG", "Togo", "AF", "Lomé", 6.1287, 1.2215],
  ["TH", "Thailand", "AS", "Bangkok", 13.754, 100.5014],
  ["TJ", "Tajikistan", "AS", "Dushanbe", 38.5358, 68.779],
  ["TK", "Tokelau", "OC", "Atafu Village", -8.5421, -172.5159],
  ["TL", "East Timor", "AS", "Dili", -8.5586, 125.5736],
  ["TM", "Turkmenistan", "AS", "Ashgabat", 37.95, 58.3833],
  ["TN", "Tunisia", "AF", "Tunis", 36.819, 10.1658],
  ["TO", "Tonga", "OC", "Nuku‘alofa", -21.1394, -175.2018],
  ["TR", "Turkey", "AS", "Ankara", 39.9199, 32.8543],
  ["TT", "Trinidad and Tobago", "NA", "Port of Spain", 10.6667, -61.5189],
  ["TV", "Tuvalu", "OC", "Funafuti", -8.5243, 179.1942],
  ["TW", "Taiwan", "AS", "Taipei", 25.0478, 121.5319],
  ["TZ", "Tanzania", "AF", "Dodoma", -6.1722, 35.7395],
  ["UA", "Ukraine", "EU", "Kyiv", 50.4547, 30.5238],
  ["UG", "Uganda", "AF", "Kampala", 0.3163, 32.5822],
  ["US", "United States", "NA", "Washington, D.C.", 38.8951, -77.0364],
  ["UY", "Uruguay", "SA", "Montevideo", -34.9033, -56.1882],
  ["UZ", "Uzbekistan", "AS", "Tashkent", 41.2647, 69.2163],
  ["VA", "Vatican City", "EU", "Vatican City", 41.9027, 12.4541],
  ["VC", "Saint Vincent and Grenadines", "NA", "Kingstown", 13.1553, -61.2274],
  ["VE", "Venezuela", "SA", "Caracas", 10.488, -66.8792],
  ["VG", "British Virgin Islands", "NA", "Road Town", 18.4269, -64.6208],
  ["VI", "U.S. Virgin Islands", "NA", "Charlotte Amalie", 18.3419, -64.9307],
  ["VN", "Vietnam", "AS", "Hanoi", 21.0245, 105.8412],
  ["VU", "Vanuatu", "OC", "Port-Vila", -17.7365, 168.3137],
  ["WF", "Wallis and Futuna", "OC", "Mata-Utu", -13.2816, -176.1745],
  ["WS", "Samoa", "OC", "Apia", -13.8333, -171.7667],
  ["XK", "Kosovo", "EU", "Pristina", 42.6727, 21.1669],
  ["YE", "Yemen", "AS", "Sanaa", 15.3547, 44.2067],
  ["YT", "Mayotte", "AF", "Mamoudzou", -12.7823, 45.2288],
  ["ZA", "South Africa", "AF", "Pretoria", -25.7449, 28.1878],
  ["ZM", "Zambia", "AF", "Lusaka", -15.4067, 28.2871],
  ["ZW", "Zimbabwe", "AF", "Harare", -17.8277, 31.0534],
];

// Other names people (and the wiki) use for countries; native names for a few common ones.
const COUNTRY_ALIASES: Record<string, string> = {
  usa: "US",
  "u s": "US",
  "u s a": "US",
  america: "US",
  "united states of america": "US",
  uk: "GB",
  "u k": "GB",
  "great britain": "GB",
  britain: "GB",
  england: "GB",
  scotland: "GB",
  wales: "GB",
  "northern ireland": "GB",
  korea: "KR",
  "republic of korea": "KR",
  "korea south": "KR",
  "korea republic": "KR",
  dprk: "KP",
  "korea north": "KP",
  czechia: "CZ",
  "russian federation": "RU",
  "republic of china": "TW",
  "viet nam": "VN",
  "cote d ivoire": "CI",
  "cote divoire": "CI",
  "the netherlands": "NL",
  holland: "NL",
  burma: "MM",
  macedonia: "MK",
  fyrom: "MK",
  swaziland: "SZ",
  turkiye: "TR",
  "cabo verde": "CV",
  "timor leste": "TL",
  vatican: "VA",
  "holy see": "VA",
  "palestinian territories": "PS",
  "state of palestine": "PS",
  "islamic republic of iran": "IR",
  "syrian arab republic": "SY",
  "lao pdr": "LA",
  "lao people s democratic republic": "LA",
  congo: "CD",
  drc: "CD",
  "dr congo": "CD",
  "congo kinshasa": "CD",
  zaire: "CD",
  "congo brazzaville": "CG",
  "republic of congo": "CG",
  uae: "AE",
  "u a e": "AE",
  emirates: "AE",
  bosnia: "BA",
  "bosnia herzegovina": "BA",
  "hong kong sar": "HK",
  "hong kong sar china": "HK",
  macao: "MO",
  trinidad: "TT",
  "slovak republic": "SK",
  "kyrgyz republic": "KG",
  "federated states of micronesia": "FM",
  "saint vincent and the grenadines": "VC",
  deutschland: "DE",
  espana: "ES",
  italia: "IT",
  polska: "PL",
  osterreich: "AT",
  schweiz: "CH",
  suisse: "CH",
  svizzera: "CH",
  brasil: "BR",
  nederland: "NL",
  sverige: "SE",
  norge: "NO",
  danmark: "DK",
  suomi: "FI",
  hellas: "GR",
  magyarorszag: "HU",
  cesko: "CZ",
  "ceska republika": "CZ",
  nippon: "JP",
  nihon: "JP",
  eire: "IE",
  "republic of ireland": "IE",
  "us virgin islands": "VI",
  "united states virgin islands": "VI",
};

const STOP_WORDS = new Set(["the", "and", "of"]);

/** Country-name key: placeKey without "the", "and", "of", so "Bosnia & Herzegovina" meets "Bosnia and Herzegovina". */
function countryKey(s: string): string {
  return placeKey(s)
    .split(" ")
    .filter((w) => !STOP_WORDS.has(w))
    .join(" ");
}

const COUNTRIES = new Map<string, Country>(
  COUNTRY_ROWS.map(([code, name, tag, capital, lat, lon]) => [
    code,
    { code, name, continent: CONTINENT_BY_TAG[tag] as Continent, capital, lat, lon },
  ]),
);

const CODE_BY_KEY = new Map<string, string>();
for (const c of COUNTRIES.values()) CODE_BY_KEY.set(countryKey(c.name), c.code);
for (const [alias, code] of Object.entries(COUNTRY_ALIASES)) CODE_BY_KEY.set(countryKey(alias), code);

/**
 * Answers already given: a listing asks about its few headings once per group and about each city text
 * several times in a row (a sync of 100,000 groups spent 0.4 s folding the same words). Small: the headings
 * come back at once after it is cleared, and a big one held 20,000 city texts for nothing.
 */
const codeAnswers = new Map<string, string | null>();
const MAX_CODE_ANSWERS = 2_000;

/** ISO-2 code for a country's English name, common alias ("USA", "UK", "England", "Czechia") or ISO-2 code. */
export function countryCode(name: string | null | undefined): string | null {
  if (!name) return null;
  let code = codeAnswers.get(name);
  if (code === undefined) {
    if (codeAnswers.size >= MAX_CODE_ANSWERS) codeAnswers.clear();
    code = findCountryCode(name);
    codeAnswers.set(name, code);
  }
  return code;
}

function findCountryCode(name: string): string | null {
  const trimmed = name.trim();
  if (/^[A-Za-z]{2}$/.test(trimmed)) {
    const upper = trimmed.toUpperCase();
    if (COUNTRIES.has(upper)) return upper;
  }
  const key = countryKey(trimmed.replace(/\([^)]*\)/g, " "));
  return CODE_BY_KEY.get(key) ?? CODE_BY_KEY.get(countryKey(trimmed)) ?? null;
}

export function countryInfo(code: string | null | undefined): Country | null {
  return code ? (COUNTRIES.get(code.toUpperCase()) ?? null) : null;
}

/** English name for an ISO-2 code; the code itself when unknown. */
export function countryName(code: string): string {
  return COUNTRIES.get(code.toUpperCase())?.name ?? code;
}

export function continentOf(code: string | null | undefined): Continent | null {
  return countryInfo(code)?.continent ?? null;
}

export function allCountries(): Country[] {
  return [...COUNTRIES.values()];
}

// Regions with GeoNames admin1 codes: country, admin code, English name, position of its biggest city (where a
// region-wide group most likely meets), other names and abbreviations.
const REGION_ROWS: readonly (readonly [string, string, string, number, number, ...string[]])[] = [
  ["US", "AL", "Alabama", 33.5207, -86.8025], // Birmingham
  ["US", "AK", "Alaska", 61.2181, -149.9003], // Anchorage
  ["US", "AZ", "Arizona", 33.4484, -112.074], // Phoenix
  ["US", "AR", "Arkansas", 34.7465, -92.2896], // Little Rock
  ["US", "CA", "California", 34.0522, -118.2437, "Calif"], // Los Angeles
  ["US", "CO", "Colorado", 39.7392, -104.9847], // Denver
  ["US", "CT", "Connecticut", 41.1792, -73.1894], // Bridgeport
  ["US", "DE", "Delaware", 39.746, -75.5466], // Wilmington
  ["US", "DC", "District of Columbia", 38.8951, -77.0364, "Washington DC", "Washington D.C."], // Washington, D.C.
  ["US", "FL", "Florida", 30.3322, -81.6556], // Jacksonville
  ["US", "GA", "Georgia", 33.749, -84.388], // Atlanta
  ["US", "HI", "Hawaii", 21.3069, -157.8583, "Hawaiʻi"], // Honolulu
  ["US", "ID", "Idaho", 43.6135, -116.2035], // Boise
  ["US", "IL", "Illinois", 41.85, -87.65], // Chicago
  ["US", "IN", "Indiana", 39.7684, -86.158], // Indianapolis
  ["US", "IA", "Iowa", 41.6005, -93.6091], // Des Moines
  ["US", "KS", "Kansas", 37.6922, -97.3375], // Wichita
  ["US", "KY", "Kentucky", 38.0498, -84.4586], // Lexington-Fayette
  ["US", "LA", "Louisiana", 29.9547, -90.0751], // New Orleans
  ["US", "ME", "Maine", 43.6574, -70.2589], // Portland
  ["US", "MD", "Maryland", 39.2904, -76.6122], // Baltimore
  ["US", "MA", "Massachusetts", 42.3584, -71.0598, "Mass"], // Boston
  ["US", "MI", "Michigan", 42.3314, -83.0457], // Detroit
  ["US", "MN", "Minnesota", 44.98, -93.2638], // Minneapolis
  ["US", "MS", "Mississippi", 32.2988, -90.1848], // Jackson
  ["US", "MO", "Missouri", 39.0997, -94.5786], // Kansas City
  ["US", "MT", "Montana", 45.7833, -108.5007], // Billings
  ["US", "NE", "Nebraska", 41.2563, -95.9404], // Omaha
  ["US", "NV", "Nevada", 36.175, -115.1372], // Las Vegas
  ["US", "NH", "New Hampshire", 42.9956, -71.4548], // Manchester
  ["US", "NJ", "New Jersey", 40.7357, -74.1724], // Newark
  ["US", "NM", "New Mexico", 35.0845, -106.6511], // Albuquerque
  ["US", "NY", "New York", 40.7143, -74.006, "New York State"], // New York City
  ["US", "NC", "North Carolina", 35.2271, -80.8431], // Charlotte
  ["US", "ND", "North Dakota", 46.8772, -96.7898], // Fargo
  ["US", "OH", "Ohio", 39.9612, -82.9988], // Columbus
  ["US", "OK", "Oklahoma", 35.4676, -97.5164], // Oklahoma City
  ["US", "OR", "Oregon", 45.5234, -122.6762], // Portland
  ["US", "PA", "Pennsylvania", 39.9523, -75.1638, "Penn"], // Philadelphia
  ["US", "RI", "Rhode Island", 41.824, -71.4128], // Providence
  ["US", "SC", "South Carolina", 34.0007, -81.0348], // Columbia
  ["US", "SD", "South Dakota", 43.55, -96.7003], // Sioux Falls
  ["US", "TN", "Tennessee", 35.1495, -90.049], // Memphis
  ["US", "TX", "Texas", 29.7633, -95.3633], // Houston
  ["US", "UT", "Utah", 40.7608, -111.8911], // Salt Lake City
  ["US", "VT", "Vermont", 44.4759, -73.2121], // Burlington
  ["US", "VA", "Virginia", 36.8529, -75.978], // Virginia Beach
  ["US", "WA", "Washington", 47.6062, -122.3321, "Washington State"], // Seattle
  ["US", "WV", "West Virginia", 38.3498, -81.6326], // Charleston
  ["US", "WI", "Wisconsin", 43.0389, -87.9065], // Milwaukee
  ["US", "WY", "Wyoming", 41.14, -104.8203], // Cheyenne
  ["CA", "01", "Alberta", 51.0501, -114.0853, "AB"], // Calgary
  ["CA", "02", "British Columbia", 49.2497, -123.1193, "BC"], // Vancouver
  ["CA", "03", "Manitoba", 49.8844, -97.147, "MB"], // Winnipeg
  ["CA", "04", "New Brunswick", 46.0945, -64.7965, "NB"], // Moncton
  ["CA", "05", "Newfoundland and Labrador", 47.5649, -52.7093, "NL", "Newfoundland", "NF", "Labrador"], // St. John's
  ["CA", "07", "Nova Scotia", 44.6464, -63.5729, "NS"], // Halifax
  ["CA", "08", "Ontario", 43.7001, -79.4163, "ON", "Ont"], // Toronto
  ["CA", "09", "Prince Edward Island", 46.2346, -63.1256, "PE", "PEI"], // Charlottetown
  ["CA", "10", "Quebec", 45.5088, -73.5878, "QC", "PQ"], // Montréal
  ["CA", "11", "Saskatchewan", 52.1324, -106.6689, "SK", "Sask"], // Saskatoon
  ["CA", "12", "Yukon", 60.7161, -135.0538, "YT", "Yukon Territory"], // Whitehorse
  ["CA", "13", "Northwest Territories", 62.4541, -114.3725, "NT", "NWT"], // Yellowknife
  ["CA", "14", "Nunavut", 63.747, -68.5173, "NU"], // Iqaluit
  ["GB", "ENG", "England", 51.5085, -0.1257], // London
  ["GB", "SCT", "Scotland", 55.8651, -4.2576], // Glasgow
  ["GB", "WLS", "Wales", 51.48, -3.18, "Cymru"], // Cardiff
  ["GB", "NIR", "Northern Ireland", 54.5968, -5.9254, "NI"], // Belfast
  ["AU", "01", "Australian Capital Territory", -35.2835, 149.1281, "ACT"], // Canberra
  ["AU", "02", "New South Wales", -33.8678, 151.2073, "NSW"], // Sydney
  ["AU", "03", "Northern Territory", -12.4611, 130.8418, "NT"], // Darwin
  ["AU", "04", "Queensland", -27.4679, 153.0281, "QLD"], // Brisbane
  ["AU", "05", "South Australia", -34.9287, 138.5986, "SA"], // Adelaide
  ["AU", "06", "Tasmania", -42.8794, 147.3294, "TAS"], // Hobart
  ["AU", "07", "Victoria", -37.814, 144.9633, "VIC"], // Melbourne
  ["AU", "08", "Western Australia", -31.9522, 115.8614, "WA"], // Perth
];

export interface RegionRef {
  country: string;
  adminCode: string;
  name: string;
  lat: number;
  lon: number;
}

// US state codes are their own GeoNames admin codes, so "TX" is matched through the code column too.
const REGIONS_BY_KEY = new Map<string, RegionRef[]>();
const REGIONS = new Map<string, RegionRef>();
for (const [country, adminCode, name, lat, lon, ...others] of REGION_ROWS) {
  const ref = { country, adminCode, name, lat, lon };
  REGIONS.set(`${country}:${adminCode}`, ref);
  const names = country === "US" ? [adminCode, name, ...others] : [name, ...others];
  for (const n of names) {
    const key = placeKey(n);
    const list = REGIONS_BY_KEY.get(key) ?? [];
    if (!list.some((r) => r.country === country && r.adminCode === adminCode)) list.push(ref);
    REGIONS_BY_KEY.set(key, list);
  }
}

/** Region key: placeKey without bracketed notes and a trailing "state"/"province" ("Georgia (USA)", "New York State"). */
function regionKey(s: string): string {
  const key = placeKey(s.replace(/\([^)]*\)/g, " "));
  return key.replace(/ (state|province|territory)$/, "");
}

/** Every region a name or abbreviation could mean: "WA" is Washington (US) and Western Australia. */
export function regionsNamed(name: string | null | undefined): RegionRef[] {
  if (!name) return [];
  const full = REGIONS_BY_KEY.get(placeKey(name));
  if (full) return full;
  return REGIONS_BY_KEY.get(regionKey(name)) ?? [];
}

/** GeoNames admin1 code of a region in a country ("Maine" in US → "ME", "Ontario" in CA → "08"), when known. */
export function regionCode(
  country: string | null | undefined,
  region: string | null | undefined,
): string | null {
  if (!country || !region) return null;
  const cc = country.toUpperCase();
  return regionsNamed(region).find((r) => r.country === cc)?.adminCode ?? null;
}

export function regionInfo(country: string, adminCode: string | null): RegionRef | null {
  return adminCode ? (REGIONS.get(`${country.toUpperCase()}:${adminCode}`) ?? null) : null;
}

/** Human name of a region ("US", "ME" → "Maine"), when known. */
export function regionName(country: string, adminCode: string | null): string | null {
  return regionInfo(country, adminCode)?.name ?? null;
}
